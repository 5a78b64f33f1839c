package verify

import (
	"fmt"
	"io/fs"
	"strings"
)

// checkTargetName refuses a target name that would escape a directory if a
// client used it as a file path (CVE-2026-6968: tough wrote targets named
// "../x" or "/x" outside its download directory). A target name must be an
// unrooted, slash-separated path with no empty, "." or ".." element and no
// backslash or NUL byte: every name real repositories use passes.
func checkTargetName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("%w: target name %q is not a clean relative path", ErrMalformed, name)
	}
	return nil
}
