package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPINFDMustBeInherited: -pin-fd N reads only a descriptor the shell
// passed. Go's runtime keeps the cgroup CPU limit files open on low
// numbers (often 3 and 4), so "-pin-fd 3" without "3<pinfile" used to
// read "max 100000" from /sys and send it to the token as a PIN, spending
// a PIN try. A closed number used to fail with "resource temporarily
// unavailable" or "bad file descriptor".
func TestPINFDMustBeInherited(t *testing.T) {
	openFD := osEnv().openFD
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte("123456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good, err := os.Open(pinFile)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, f := range []*os.File{good, pr} {
		if err := checkPINFD(int(f.Fd())); err != nil {
			t.Errorf("%s: %v", f.Name(), err)
		}
	}
	p, err := readSecretLine(good, "PIN")
	if err != nil || string(p) != "123456" {
		t.Fatalf("reading the PIN file: %q, %v", p, err)
	}

	pseudo, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer pseudo.Close()
	const closedFD = 1<<20 + 3 // above any descriptor limit: never open
	for _, c := range []struct {
		fd   int
		want string
	}{
		{int(pseudo.Fd()), "was not passed to the command"},
		{closedFD, "is not open"},
	} {
		rc, err := openFD(c.fd)
		if err == nil {
			rc.Close()
			t.Errorf("fd %d: opened, want an error containing %q", c.fd, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "<PINFILE") {
			t.Errorf("fd %d: %v, want %q and how to pass the file", c.fd, err, c.want)
		}
	}
}
