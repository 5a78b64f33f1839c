package signertest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/signertest"
)

// A correct backend passes, with every optional check enabled.
func TestFakePasses(t *testing.T) {
	signertest.RunWith(t, func(*testing.T) signer.Signer { return fake.New("passes") }, signertest.Options{
		Concurrency: 4,
		Block:       func(_ *testing.T, s signer.Signer) { s.(*fake.Signer).SetFault(fake.Block) },
		Fail: func(_ *testing.T, s signer.Signer) error {
			s.(*fake.Signer).FailNext(1, signer.ErrKeyNotFound)
			return signer.ErrKeyNotFound
		},
	})
}

// custom is a signer whose Sign is a test's function.
type custom struct {
	pub  crypto.PublicKey
	sign func(ctx context.Context, m []byte) ([]byte, error)
}

func (c custom) Public() crypto.PublicKey                           { return c.pub }
func (c custom) Sign(ctx context.Context, m []byte) ([]byte, error) { return c.sign(ctx, m) }
func digest(h crypto.Hash, m []byte) []byte                         { d := h.New(); d.Write(m); return d.Sum(nil) }
func mustType(name string, kt fake.KeyType) *fake.Signer            { s, _ := fake.NewType(name, kt); return s }
func ecKey(s *fake.Signer) *ecdsa.PrivateKey                        { return s.PrivateKey().(*ecdsa.PrivateKey) }
func rsaKey(s *fake.Signer) *rsa.PrivateKey                         { return s.PrivateKey().(*rsa.PrivateKey) }

// wrapped is a custom signer built around a fake one.
type wrapped struct {
	custom
	inner *fake.Signer
}

// broken lists backends that break the contract, with what the suite must
// say about each.
var broken = map[string]struct {
	newSigner func(*testing.T) signer.Signer
	opts      signertest.Options
	want      string
}{
	"WrongKey": {
		newSigner: func(*testing.T) signer.Signer { s := fake.New("broken"); s.SetFault(fake.WrongKey); return s },
		want:      "go-tuf VerifyDelegate rejects the signature",
	},
	"Malformed": {
		newSigner: func(*testing.T) signer.Signer { s := fake.New("broken"); s.SetFault(fake.Malformed); return s },
		want:      "not an ASN.1 DER ECDSA signature",
	},
	"IgnoresContext": {
		newSigner: func(*testing.T) signer.Signer {
			s := fake.New("broken")
			return custom{s.Public(), func(_ context.Context, m []byte) ([]byte, error) { return s.Sign(context.Background(), m) }}
		},
		want: "want an error wrapping context.Canceled",
	},
	"RawECDSA": {
		newSigner: func(*testing.T) signer.Signer {
			k := ecKey(fake.New("broken"))
			return custom{k.Public(), func(_ context.Context, m []byte) ([]byte, error) {
				r, s, err := ecdsa.Sign(rand.Reader, k, digest(crypto.SHA256, m))
				if err != nil {
					return nil, err
				}
				out := make([]byte, 64)
				r.FillBytes(out[:32])
				s.FillBytes(out[32:])
				return out, nil
			}}
		},
		want: "not an ASN.1 DER ECDSA signature",
	},
	"P384WithSHA256": {
		newSigner: func(*testing.T) signer.Signer {
			k := ecKey(mustType("broken", fake.P384))
			return custom{k.Public(), func(_ context.Context, m []byte) ([]byte, error) {
				return ecdsa.SignASN1(rand.Reader, k, digest(crypto.SHA256, m))
			}}
		},
		want: "not an ASN.1 DER ECDSA signature over SHA-384",
	},
	"PSSMaximalSalt": {
		newSigner: func(*testing.T) signer.Signer {
			k := rsaKey(mustType("broken", fake.RSA2048))
			return custom{k.Public(), func(_ context.Context, m []byte) ([]byte, error) {
				return rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest(crypto.SHA256, m), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
			}}
		},
		want: "with a salt as long as the hash",
	},
	"PKCS1v15": {
		newSigner: func(*testing.T) signer.Signer {
			k := rsaKey(mustType("broken", fake.RSA2048))
			return custom{k.Public(), func(_ context.Context, m []byte) ([]byte, error) {
				return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest(crypto.SHA256, m))
			}}
		},
		want: "go-tuf VerifyDelegate rejects the signature",
	},
	"SwallowsErrors": {
		newSigner: func(*testing.T) signer.Signer {
			inner := fake.New("broken")
			return wrapped{custom{inner.Public(), func(ctx context.Context, m []byte) ([]byte, error) {
				sig, err := inner.Sign(ctx, m)
				if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					return nil, errors.New("signing failed") // the cause is lost
				}
				return sig, err
			}}, inner}
		},
		opts: signertest.Options{Fail: func(_ *testing.T, s signer.Signer) error {
			err := &signer.PINError{Retries: 1}
			s.(wrapped).inner.FailNext(1, err)
			return err
		}},
		want: "does not wrap the backend error",
	},
	"DoesNotBlock": {
		newSigner: func(*testing.T) signer.Signer { return fake.New("broken") },
		opts:      signertest.Options{Block: func(*testing.T, signer.Signer) {}},
		want:      "Options.Block did not make it block",
	},
}

const childEnv = "SIGNERTEST_BROKEN_BACKEND"

// TestBrokenBackend runs the suite against one broken backend; it does
// work only in the child process TestSuiteCatchesBrokenBackends starts.
func TestBrokenBackend(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		return // only meaningful in the child process
	}
	b, ok := broken[name]
	if !ok {
		t.Fatalf("unknown broken backend %q", name)
	}
	signertest.RunWith(t, b.newSigner, b.opts)
}

// TestSuiteCatchesBrokenBackends checks that the suite fails, with a
// message saying why, for each backend that breaks the contract.
func TestSuiteCatchesBrokenBackends(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		return
	}
	for name, b := range broken {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenBackend$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("the suite passed a backend that is broken (%v):\n%s", err, out)
			}
			if !strings.Contains(string(out), b.want) {
				t.Fatalf("the suite failed, but without %q:\n%s", b.want, out)
			}
		})
	}
}
