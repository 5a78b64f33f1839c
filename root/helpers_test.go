package root_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
)

// p256 returns a P-256 key derived from seed, the same on every run.
func p256(seed string) *ecdsa.PrivateKey {
	s := sha256.Sum256([]byte("p256/" + seed))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), s[:])
	if err != nil {
		panic(err)
	}
	return k
}

// p384 returns a P-384 key derived from seed.
func p384(seed string) *ecdsa.PrivateKey {
	s := sha512.Sum384([]byte("p384/" + seed))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P384(), s[:])
	if err != nil {
		panic(err)
	}
	return k
}

// ed returns an Ed25519 key derived from seed.
func ed(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("ed25519/" + seed))
	return ed25519.NewKeyFromSeed(s[:])
}

var (
	rsaOnce sync.Once
	rsaPriv *rsa.PrivateKey
)

// rsaKey returns one RSA-2048 key per test binary.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaPriv = k
	})
	return rsaPriv
}

// mustSigner wraps a crypto.Signer as a signer.Signer.
func mustSigner(t testing.TB, k crypto.Signer) signer.Signer {
	t.Helper()
	s, err := signer.FromCryptoSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustKey(t testing.TB, pub crypto.PublicKey, holder string) root.Key {
	t.Helper()
	k, err := root.NewKey(pub, root.KeyOptions{Holder: holder})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var expiry = time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is a 3-of-5 root with one online key for snapshot and timestamp.
type fixture struct {
	holders []string
	privs   []*ecdsa.PrivateKey
	keys    []root.Key
	online  *ecdsa.PrivateKey
	r       *root.Root
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{holders: []string{"alice", "bob", "carol", "dave", "erin"}}
	for _, h := range f.holders {
		p := p256(h)
		f.privs = append(f.privs, p)
		f.keys = append(f.keys, mustKey(t, p.Public(), h))
	}
	f.online = p256("online")
	ok := mustKey(t, f.online.Public(), "")
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:      {Keys: f.keys, Threshold: 3},
			root.RoleTargets:   {Keys: f.keys, Threshold: 3},
			root.RoleSnapshot:  {Keys: []root.Key{ok}, Threshold: 1},
			root.RoleTimestamp: {Keys: []root.Key{ok}, Threshold: 1},
		},
		Expires:            expiry,
		ConsistentSnapshot: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.r = r
	return f
}

// sign signs r with holder i's key.
func (f *fixture) sign(t testing.TB, r *root.Root, i int, prev *root.Root) []root.Signature {
	t.Helper()
	sigs, err := r.Sign(context.Background(), mustSigner(t, f.privs[i]), prev)
	if err != nil {
		t.Fatalf("holder %s: %v", f.holders[i], err)
	}
	return sigs
}

// sigstoreFiles lists every real Sigstore root file.
func sigstoreFiles(t testing.TB) []string {
	t.Helper()
	dir := sharedtestdata.SigstoreRoot(t)
	var files []string
	for _, sub := range []string{"prod", "staging", "staging-tuf-on-ci"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.root.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) != 33 {
		t.Fatalf("found %d Sigstore root files under %s, want 33", len(files), dir)
	}
	return files
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFile(t testing.TB, elem ...string) *root.Root {
	t.Helper()
	r, err := root.Parse(readFile(t, sharedtestdata.Path(t, elem...)))
	if err != nil {
		t.Fatalf("%v: %v", elem, err)
	}
	return r
}

// countingSigner records calls and can fail.
type countingSigner struct {
	inner signer.Signer
	calls int
	err   error
	bad   bool
}

func (c *countingSigner) Public() crypto.PublicKey { return c.inner.Public() }

func (c *countingSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	c.calls++
	if c.err != nil {
		return nil, fmt.Errorf("test token: %w", c.err)
	}
	sig, err := c.inner.Sign(ctx, msg)
	if c.bad && err == nil {
		sig[len(sig)-1] ^= 0xff
	}
	return sig, err
}
