package verify_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustroot/trustroot/internal/sharedtestdata"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/verify"
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
	// The real Sigstore roots, so the fuzzer starts from every quirk they
	// carry (hex and PEM keys, odd expires, custom fields, empty signatures).
	files, err := filepath.Glob(filepath.Join(sharedtestdata.SigstoreRoot(f), "*", "*.root.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no real root files to seed the fuzzer with (err %v)", err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	trusted := mustParse(f, trustedFile)
	v3 := rootFile(3, farAway, ks, 2, ks)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The bytes as the last step, read by root.Parse.
		res, err := verify.Chain(trusted, [][]byte{data}, verify.Options{Now: t0})
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v with error %v", res, err)
		}
		if err == nil {
			if res.Root == nil || res.Root.Version() != 2 || len(res.Steps) != 2 {
				t.Fatalf("trusted result %+v", res)
			}
			if st := res.Root.SigningStatus(trusted); !st.Complete {
				t.Fatalf("Chain trusted a root whose status is incomplete: %+v", st)
			}
			if !t0.Before(res.Root.Expires()) {
				t.Fatalf("trusted an expired root")
			}
		}
		// The same bytes as an intermediate step: same contract, and a
		// step that verified on its own
		// still verifies (v3 is signed by the trusted keys).
		res2, err2 := verify.Chain(trusted, [][]byte{data, v3}, verify.Options{Now: t0})
		if (res2 == nil) == (err2 == nil) {
			t.Fatalf("intermediate: result %v with error %v", res2, err2)
		}
		if err2 == nil {
			if res2.Root.Version() != 3 || len(res2.Steps) != 3 || !res2.Root.SigningStatus(nil).Complete {
				t.Fatalf("intermediate: trusted result %+v", res2)
			}
			if err != nil && !errors.Is(err, verify.ErrExpired) {
				t.Fatalf("the step verified as intermediate but not as last: %v", err)
			}
		}
	})
}
