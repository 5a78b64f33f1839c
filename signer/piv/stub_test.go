//go:build !cgo || !pivkey

package piv

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// In a build without PIV support every entry point says so clearly.
func TestStubNotSupported(t *testing.T) {
	ctx := context.Background()
	if _, err := List(ctx); !errors.Is(err, ErrNotSupported) {
		t.Errorf("List: %v", err)
	}
	if _, err := Enrol(ctx, EnrolOptions{}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Enrol: %v", err)
	}
	if _, err := New(ctx, Options{}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("New: %v", err)
	}
	var s Signer
	if _, err := s.Sign(ctx, []byte("m")); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Sign: %v", err)
	}
	if _, _, err := s.Attestation(ctx); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Attestation: %v", err)
	}
	if !strings.Contains(ErrNotSupported.Error(), "-tags pivkey") {
		t.Errorf("ErrNotSupported does not say how to rebuild: %q", ErrNotSupported)
	}
}
