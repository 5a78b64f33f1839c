package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

var (
	t0      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	farAway = t0.AddDate(5, 0, 0)
)

// keys returns deterministic Ed25519 keys by index.
func keys(idx ...int) []*gen.Key {
	out := make([]*gen.Key, len(idx))
	for i, n := range idx {
		out[i] = gen.Ed25519(n)
	}
	return out
}

// online is the key of the non-root roles in generated roots.
var online = gen.Ed25519(1000)

// rootFile builds and signs one root version.
func rootFile(version int64, expires time.Time, rootKeys []*gen.Key, threshold int, signers []*gen.Key) []byte {
	signed := gen.Root(version, expires, false, gen.TopRoles(rootKeys, threshold, online))
	return gen.Sign(signed, signers...)
}

func mustParse(t testing.TB, data []byte) *root.Root {
	t.Helper()
	r, err := root.Parse(data)
	if err != nil {
		t.Fatalf("root.Parse: %v\n%s", err, data)
	}
	return r
}

// checkVerdict asserts the (result, error) contract every verify call keeps:
// exactly one of them is nil, and a failure wraps want.
func checkVerdict(t *testing.T, res *verify.ChainResult, err error, ok bool, want error) {
	t.Helper()
	if (res == nil) == (err == nil) {
		t.Fatalf("result %v with error %v: exactly one must be nil", res, err)
	}
	if ok {
		if err != nil {
			t.Fatalf("want trusted, got error: %v", err)
		}
		if res.Root == nil {
			t.Fatalf("trusted result without a root")
		}
		return
	}
	if err == nil {
		t.Fatalf("want failure (%v), got trusted root v%d", want, res.Root.Version())
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("error %v does not wrap %v", err, want)
	}
}

type rootT = root.Root

func parseRoot(data []byte) (*root.Root, error) { return root.Parse(data) }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func bytesReader(s string) io.Reader { return strings.NewReader(s) }
