package verify_test

import (
	"testing"

	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/internal/gen"
)

// FuzzChainStep feeds arbitrary bytes as the next root after a trusted
// 2-of-3 root. Whatever the input: no panic; exactly one of result and
// error is nil; a result always holds a root that is version 2 and that an
// independent full signature count (Status) finds complete; an error never
// comes with a partial result.
func FuzzChainStep(f *testing.F) {
	ks := keys(1, 2, 3)
	trustedFile := rootFile(1, farAway, ks, 2, ks)
	f.Add(rootFile(2, farAway, ks, 2, ks))
	f.Add(rootFile(2, farAway, ks, 2, ks[:1]))
	f.Add(rootFile(2, farAway, keys(4, 5), 1, keys(1, 2, 4)))
	f.Add(rootFile(3, farAway, ks, 2, ks))
	f.Add(rootFile(2, t0, ks, 2, ks))
	f.Add(gen.Sign(gen.Targets(2, farAway, map[string]any{}, nil), ks...))
	f.Add([]byte(`{"signed":{},"signatures":[]}`))
	f.Add([]byte(`{"signed":{"_type":"root","_type":"root"},"signatures":[]}`))
	f.Add([]byte{})
	trusted := mustParse(f, trustedFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := verify.Chain(trusted, [][]byte{data}, verify.Options{Now: t0})
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v with error %v", res, err)
		}
		if err != nil {
			return
		}
		if res.Root == nil || res.Root.Version() != 2 || len(res.Steps) != 2 {
			t.Fatalf("trusted result %+v", res)
		}
		if st := verify.Status(res.Root, trusted); !st.Complete {
			t.Fatalf("Chain trusted a root whose status is incomplete: %+v", st)
		}
		if !t0.Before(res.Root.Expires()) {
			t.Fatalf("trusted an expired root")
		}
	})
}
