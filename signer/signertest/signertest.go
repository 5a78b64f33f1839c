package signertest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/signer"
)

// Options add checks that need the backend's cooperation. The zero value
// runs only the checks every backend supports unaided.
type Options struct {
	// Concurrency is how many goroutines sign at once in the concurrency
	// check; zero means 8. Slow hardware backends may lower it.
	Concurrency int
	// Block, when set, arranges for s's next Sign to block until its
	// context ends, as a PIN prompt or touch that never comes would. The
	// suite then cancels a Sign in progress and checks it returns an
	// error wrapping context.Canceled.
	Block func(t *testing.T, s signer.Signer)
	// Fail, when set, arranges for s's next Sign to fail in the backend
	// and returns the error the result must match with errors.Is (for
	// instance the *signer.PINError the backend will return).
	Fail func(t *testing.T, s signer.Signer) error
}

// Run runs the conformance suite against signers made by newSigner, which
// is called once per subtest. It is RunWith with zero Options.
func Run(t *testing.T, newSigner func(t *testing.T) signer.Signer) {
	t.Helper()
	RunWith(t, newSigner, Options{})
}

// RunWith runs the conformance suite with the extra checks opts enable.
func RunWith(t *testing.T, newSigner func(t *testing.T) signer.Signer, opts Options) {
	t.Helper()
	t.Run("PublicKey", func(t *testing.T) { testPublicKey(t, newSigner(t)) })
	t.Run("GoTUFVerifies", func(t *testing.T) { testGoTUF(t, newSigner(t)) })
	t.Run("SignatureForm", func(t *testing.T) { testForm(t, newSigner(t)) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, newSigner(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newSigner(t), opts.Concurrency) })
	if opts.Block != nil {
		t.Run("CancelWhileBlocked", func(t *testing.T) {
			s := newSigner(t)
			opts.Block(t, s)
			testBlocked(t, s)
		})
	}
	if opts.Fail != nil {
		t.Run("BackendErrorWrapped", func(t *testing.T) {
			s := newSigner(t)
			want := opts.Fail(t, s)
			testFail(t, s, want)
		})
	}
}

func testPublicKey(t *testing.T, s signer.Signer) {
	pub := s.Public()
	if _, err := signer.HashFor(pub); err != nil {
		t.Fatalf("Public() = %T: %v", pub, err)
	}
	again, ok := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !again.Equal(pub) {
		t.Fatalf("Public() returned different keys on two calls")
	}
}

// tufKey returns the go-tuf key for pub with the scheme TUF uses for it.
func tufKey(t *testing.T, pub crypto.PublicKey) *metadata.Key {
	t.Helper()
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		t.Fatalf("go-tuf KeyFromPublicKey: %v", err)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P384() {
		// go-tuf labels every ECDSA key P-256; P-384 keys use SHA-384.
		k.Scheme = metadata.KeySchemeECDSA_SHA2_P384
	}
	return k
}

func testGoTUF(t *testing.T, s signer.Signer) {
	if ec, ok := s.Public().(*ecdsa.PublicKey); ok && ec.Curve == elliptic.P521() {
		// The check cannot run, so it says so rather than pass.
		t.Skip("go-tuf v2 has no ecdsa-sha2-nistp521 scheme; SignatureForm checks P-521 signatures")
	}
	ctx := context.Background()
	key := tufKey(t, s.Public())
	id, err := key.ID()
	if err != nil {
		t.Fatal(err)
	}
	for i, expires := range []time.Time{
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2031, 6, 7, 8, 9, 10, 0, time.UTC),
	} {
		md := metadata.Root(expires)
		md.Signed.Version = int64(i + 1)
		if err := md.Signed.AddKey(key, metadata.ROOT); err != nil {
			t.Fatal(err)
		}
		payload, err := cjson.EncodeCanonical(md.Signed)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign(ctx, payload)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		md.Signatures = []metadata.Signature{{KeyID: id, Signature: sig}}
		if err := md.VerifyDelegate(metadata.ROOT, md); err != nil {
			t.Fatalf("go-tuf VerifyDelegate rejects the signature: %v", err)
		}
		// The check can fail: a changed payload must not verify.
		md.Signed.Version += 100
		if err := md.VerifyDelegate(metadata.ROOT, md); err == nil {
			t.Fatalf("go-tuf VerifyDelegate accepts the signature over a different payload")
		}
	}
}

// verifyExact checks sig over message in exactly the form the signer
// contract fixes.
func verifyExact(pub crypto.PublicKey, message, sig []byte) error {
	h, err := signer.HashFor(pub)
	if err != nil {
		return err
	}
	var d []byte
	if h != 0 {
		hh := h.New()
		hh.Write(message)
		d = hh.Sum(nil)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, d, sig) {
			return fmt.Errorf("not an ASN.1 DER ECDSA signature over %v of the message", h)
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, message, sig) {
			return errors.New("not a pure Ed25519 signature of the message")
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPSS(k, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}); err != nil {
			return fmt.Errorf("not an RSASSA-PSS %v signature with a salt as long as the hash: %w", h, err)
		}
	default:
		return fmt.Errorf("unsupported key %T", pub)
	}
	return nil
}

func testForm(t *testing.T, s signer.Signer) {
	ctx := context.Background()
	pub := s.Public()
	messages := [][]byte{
		{},
		[]byte("trustroot signertest"),
		bytes.Repeat([]byte{0xa5}, 100<<10),
	}
	for i, m := range messages {
		orig := bytes.Clone(m)
		sig, err := s.Sign(ctx, m)
		if err != nil {
			t.Fatalf("message %d: Sign: %v", i, err)
		}
		if !bytes.Equal(m, orig) {
			t.Fatalf("message %d: Sign modified the message", i)
		}
		if err := verifyExact(pub, m, sig); err != nil {
			t.Errorf("message %d (%d bytes): %v", i, len(m), err)
		}
		other := append([]byte("x"), m...)
		if verifyExact(pub, other, sig) == nil {
			t.Errorf("message %d: the signature also verifies over a different message", i)
		}
	}
	// Signing the same message again gives a valid signature too (no
	// state such as a nonce is reused or exhausted).
	for range 2 {
		sig, err := s.Sign(ctx, messages[1])
		if err != nil {
			t.Fatalf("repeated Sign: %v", err)
		}
		if err := verifyExact(pub, messages[1], sig); err != nil {
			t.Errorf("repeated Sign: %v", err)
		}
	}
}

func testCancelled(t *testing.T, s signer.Signer) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sig, err := s.Sign(ctx, []byte("cancelled"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Sign with a cancelled context = %x, %v; want an error wrapping context.Canceled", sig, err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer dcancel()
	sig, err = s.Sign(dctx, []byte("expired"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sign with an expired context = %x, %v; want an error wrapping context.DeadlineExceeded", sig, err)
	}
	// The signer still works afterwards.
	m := []byte("after cancellation")
	sig, err = s.Sign(context.Background(), m)
	if err != nil {
		t.Fatalf("Sign after a cancelled call: %v", err)
	}
	if err := verifyExact(s.Public(), m, sig); err != nil {
		t.Errorf("Sign after a cancelled call: %v", err)
	}
}

func testConcurrent(t *testing.T, s signer.Signer, n int) {
	if n <= 0 {
		n = 8
	}
	pub := s.Public()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for g := range n {
		wg.Go(func() {
			for j := range 2 {
				m := fmt.Appendf(nil, "goroutine %d message %d", g, j)
				sig, err := s.Sign(context.Background(), m)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: Sign: %w", g, err)
					return
				}
				if err := verifyExact(pub, m, sig); err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// blockedLimit bounds how long a cancelled Sign may take to return; it
// only keeps a broken backend from hanging the test binary.
const blockedLimit = 30 * time.Second

func testBlocked(t *testing.T, s signer.Signer) {
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		sig []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		sig, err := s.Sign(ctx, []byte("blocked"))
		done <- result{sig, err}
	}()
	select {
	case r := <-done:
		cancel()
		t.Fatalf("Sign returned (%x, %v) before its context ended; Options.Block did not make it block", r.sig, r.err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Fatalf("cancelled Sign = %x, %v; want an error wrapping context.Canceled", r.sig, r.err)
		}
	case <-time.After(blockedLimit):
		t.Fatalf("Sign did not return within %v of its context being cancelled", blockedLimit)
	}
}

func testFail(t *testing.T, s signer.Signer, want error) {
	if want == nil {
		t.Fatal("Options.Fail returned a nil error")
	}
	sig, err := s.Sign(context.Background(), []byte("failing"))
	if err == nil {
		t.Fatalf("Sign = %x, nil after Options.Fail; want an error", sig)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Sign error %q does not wrap the backend error %q", err, want)
	}
	var pe *signer.PINError
	if errors.As(want, &pe) {
		var got *signer.PINError
		if !errors.As(err, &got) || got.Retries != pe.Retries {
			t.Fatalf("Sign error %q: errors.As finds no *signer.PINError with %d retries", err, pe.Retries)
		}
	}
}
