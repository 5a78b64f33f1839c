//go:build cgo && pivkey

package piv

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	pivgo "github.com/go-piv/piv-go/v2/piv"

	"github.com/trustroot/trustroot/signer"
)

// state is an open token with one slot's key; sem serialises card access
// and can be waited on with a context.
type state struct {
	sem    chan struct{}
	card   card // nil once closed
	serial uint32
	ps     pivgo.Slot
	info   slotInfo
	hash   crypto.Hash
	opts   Options
}

var _ signer.Signer = (*Signer)(nil)

// New opens the YubiKey opts.Serial (or the only one plugged in), reads
// the key in opts.Slot and, when opts.Expected is set, checks it is that
// key; all before any PIN is asked for. An empty slot gives an error
// wrapping signer.ErrKeyNotFound, a different key one wrapping
// signer.ErrWrongKey. The token stays open, exclusively, until Close.
func New(ctx context.Context, opts Options) (*Signer, error) {
	return newSigner(ctx, pcscBackend(), opts)
}

func newSigner(ctx context.Context, b backend, opts Options) (*Signer, error) {
	slot := slotOrDefault(opts.Slot)
	ps, err := pivSlot(slot)
	if err != nil {
		return nil, err
	}
	c, serial, err := openToken(ctx, b, opts.Serial)
	if err != nil {
		return nil, err
	}
	info, err := slotKey(c, ps)
	if err != nil {
		c.Close()
		return nil, tokenErr("read key in slot "+slot.String(), serial, err)
	}
	h, err := hashFor(info.pub)
	if err != nil {
		c.Close()
		return nil, &TokenError{Op: "read key in slot " + slot.String(), Serial: serial, Err: err}
	}
	if opts.Expected != nil && !samePublicKey(opts.Expected, info.pub) {
		c.Close()
		return nil, &TokenError{Op: "check key in slot " + slot.String(), Serial: serial,
			Err: fmt.Errorf("%w: slot holds key %s, expected %s", signer.ErrWrongKey, fingerprint(info.pub), fingerprint(opts.Expected))}
	}
	st := &state{sem: make(chan struct{}, 1), card: c, serial: serial, ps: ps, info: info, hash: h, opts: opts}
	return &Signer{pub: info.pub, slot: slot, st: st}, nil
}

// fingerprint returns "SHA256:" and the hex SHA-256 of a key's PKIX DER,
// the form keys are named in errors.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Sprintf("(unencodable %T)", pub)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// Serial returns the serial number of the signer's YubiKey.
func (s *Signer) Serial() uint32 {
	if s.st == nil {
		return 0
	}
	return s.st.serial
}

// lock takes the card, or gives up when ctx is done.
func (st *state) lock(ctx context.Context) error {
	select {
	case st.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (st *state) unlock() { <-st.sem }

// Sign hashes message (SHA-256 for P-256, SHA-384 for P-384) and signs it
// on the token, returning an ASN.1 DER signature; an Ed25519 key signs the
// whole message on the token (pure Ed25519, 64 bytes). Sign verifies the
// signature before returning it.
//
// If the key needs a PIN, Sign first reads the PIN retry counter: with
// no tries left it fails with an error wrapping signer.ErrPINBlocked, and
// with one try left it fails with ErrLastPINTry unless ForceLastPINTry
// is set. Only then does it call Options.PIN. A wrong PIN gives a
// *signer.PINError. Options.Touch is called before an operation that
// needs a touch. Sign returns as soon as ctx is done; an operation
// already sent to the token completes in the background.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if s.st == nil {
		return nil, errors.New("signer/piv: Signer not created by New")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer/piv: sign: %w", err)
	}
	st := s.st
	if err := st.lock(ctx); err != nil {
		return nil, fmt.Errorf("signer/piv: sign: waiting for the token: %w", err)
	}
	type result struct {
		sig []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer st.unlock()
		sig, err := st.sign(ctx, message)
		done <- result{sig, err}
	}()
	select {
	case r := <-done:
		return r.sig, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("signer/piv: sign: %w", ctx.Err())
	}
}

// isAlreadyVerified reports piv-go's answer to a retry-counter query when
// the PIN is already verified in this session.
func isAlreadyVerified(err error) bool {
	return err != nil && containsAny(err.Error(), "expected error code from empty pin")
}

// sign runs with the card locked.
func (st *state) sign(ctx context.Context, message []byte) ([]byte, error) {
	if st.card == nil {
		return nil, errors.New("signer/piv: sign: signer is closed")
	}
	digest := message // Ed25519 signs the message itself
	if st.hash != 0 {
		h := st.hash.New()
		h.Write(message)
		digest = h.Sum(nil)
	}

	var pin []byte
	defer func() { clear(pin) }()
	if st.info.pin != pivgo.PINPolicyNever {
		retries, err := st.card.Retries()
		verified := isAlreadyVerified(err)
		if err != nil && !verified {
			return nil, tokenErr("read PIN retry counter", st.serial, err)
		}
		if !verified {
			switch {
			case retries <= 0:
				return nil, &TokenError{Op: "sign", Serial: st.serial, Err: &signer.PINError{Retries: 0}}
			case retries == 1 && !st.opts.ForceLastPINTry:
				return nil, &TokenError{Op: "sign", Serial: st.serial, Err: ErrLastPINTry}
			}
		}
		if st.info.pin == pivgo.PINPolicyAlways || !verified {
			if st.opts.PIN == nil {
				return nil, &TokenError{Op: "sign", Serial: st.serial, Err: ErrNoPIN}
			}
			pin, err = st.opts.PIN(ctx)
			if err != nil {
				return nil, &TokenError{Op: "read PIN", Serial: st.serial, Err: err}
			}
			if len(pin) == 0 {
				return nil, &TokenError{Op: "read PIN", Serial: st.serial, Err: errors.New("empty PIN")}
			}
		}
	}
	// Last chance to stop before a PIN try is spent.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer/piv: sign: %w", err)
	}
	priv, err := st.card.PrivateKey(st.ps, st.info.pub, pivgo.KeyAuth{PIN: string(pin), PINPolicy: st.info.pin})
	if err != nil {
		return nil, tokenErr("sign", st.serial, err)
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, &TokenError{Op: "sign", Serial: st.serial, Err: fmt.Errorf("key of type %T cannot sign", priv)}
	}
	if st.info.touch != pivgo.TouchPolicyNever && st.opts.Touch != nil {
		st.opts.Touch()
	}
	sig, err := cs.Sign(rand.Reader, digest, st.hash)
	if err != nil {
		// A key that wants a touch answers 6982 (security status not
		// satisfied) when the touch times out; the PIN, if any, was
		// verified just before.
		if st.info.touch != pivgo.TouchPolicyNever && containsAny(err.Error(), "smart card error 6982") {
			return nil, &TokenError{Op: "sign", Serial: st.serial, Err: fmt.Errorf("%w: %w", ErrNotTouched, err)}
		}
		return nil, tokenErr("sign", st.serial, err)
	}
	var valid bool
	switch pub := st.info.pub.(type) {
	case *ecdsa.PublicKey:
		valid = ecdsa.VerifyASN1(pub, digest, sig)
	case ed25519.PublicKey:
		valid = ed25519.Verify(pub, message, sig)
	}
	if !valid {
		return nil, &TokenError{Op: "sign", Serial: st.serial, Err: errors.New("the token returned a signature that does not verify")}
	}
	return sig, nil
}

// Attestation has the token attest the signer's key again and returns the
// DER slot attestation certificate and device (f9) certificate, for a
// ceremony to re-check before signing.
func (s *Signer) Attestation(ctx context.Context) (slotCert, deviceCert []byte, err error) {
	if s.st == nil {
		return nil, nil, errors.New("signer/piv: Signer not created by New")
	}
	st := s.st
	if err := st.lock(ctx); err != nil {
		return nil, nil, fmt.Errorf("signer/piv: attestation: %w", err)
	}
	defer st.unlock()
	if st.card == nil {
		return nil, nil, errors.New("signer/piv: attestation: signer is closed")
	}
	sc, err := st.card.Attest(st.ps)
	if err != nil {
		return nil, nil, tokenErr("attest slot "+s.slot.String(), st.serial, err)
	}
	dc, err := st.card.AttestationCertificate()
	if err != nil {
		return nil, nil, tokenErr("read device attestation certificate", st.serial, err)
	}
	return sc.Raw, dc.Raw, nil
}

// Close releases the token. It waits for an operation in progress to
// finish. Closing twice is not an error.
func (s *Signer) Close() error {
	if s.st == nil {
		return nil
	}
	st := s.st
	if err := st.lock(context.Background()); err != nil {
		return err
	}
	defer st.unlock()
	if st.card == nil {
		return nil
	}
	err := st.card.Close()
	st.card = nil
	if err != nil {
		return tokenErr("close", st.serial, err)
	}
	return nil
}
