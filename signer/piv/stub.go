//go:build !cgo || !pivkey

package piv

import (
	"context"
	"fmt"
)

// state is empty in a build without PIV support.
type state struct{}

// List returns ErrNotSupported in this build.
func List(ctx context.Context) ([]Token, error) { return nil, ErrNotSupported }

// Enrol returns ErrNotSupported in this build.
func Enrol(ctx context.Context, opts EnrolOptions) (*Enrolment, error) {
	return nil, ErrNotSupported
}

// New returns ErrNotSupported in this build.
func New(ctx context.Context, opts Options) (*Signer, error) { return nil, ErrNotSupported }

// Serial returns zero in this build.
func (s *Signer) Serial() uint32 { return 0 }

// Sign returns ErrNotSupported in this build.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	return nil, fmt.Errorf("signer/piv: sign: %w", ErrNotSupported)
}

// Attestation returns ErrNotSupported in this build.
func (s *Signer) Attestation(ctx context.Context) (slotCert, deviceCert []byte, err error) {
	return nil, nil, ErrNotSupported
}

// Close does nothing in this build.
func (s *Signer) Close() error {
	s.st = nil
	return nil
}
