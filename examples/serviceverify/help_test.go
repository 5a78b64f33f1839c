package main

import (
	"strings"
	"testing"
)

// TestHelp: -h prints the synopsis and every flag and succeeds; it used
// to fail with "flag: help requested" and print no flags at all.
func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		out, err := runArgs(h)
		if err != nil {
			t.Errorf("%s: %v", h, err)
			continue
		}
		for _, want := range []string{"Usage: serviceverify -root FILE", "-root FILE", "-repo DIR", "-url URL", "-usage", "-cache DIR", "-at TIME", "-every"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", h, want, out)
			}
		}
	}
}
