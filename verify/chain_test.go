package verify_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// mdVersion is one root version of a tuf-conformance rotation case: the
// indices of its root keys, its threshold and the indices of the keys that
// sign it.
type mdVersion struct {
	keys      []int
	threshold int
	sigs      []int
}

// The 15 cases of tuf-conformance's test_root_rotation
// (tuf_conformance/test_updater_key_rotations.py). ok is the verdict for
// the whole chain; on failure the chain without its last version must
// still verify (the client keeps the previous root).
var rootRotationCases = []struct {
	name     string
	versions []mdVersion
	ok       bool
}{
	{"1-of-1-key-rotation", []mdVersion{
		{[]int{1}, 1, []int{1}},
		{[]int{2}, 1, []int{2, 1}},
		{[]int{2}, 1, []int{2}},
	}, true},
	{"1-of-1-key-rotation-unused-signatures", []mdVersion{
		{[]int{1}, 1, []int{3, 1, 4}},
		{[]int{2}, 1, []int{3, 2, 1, 4}},
		{[]int{2}, 1, []int{3, 2, 4}},
	}, true},
	{"3-of-5-sign-with-different-keycombos", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 4, 1}},
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 1, 3}},
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 1, 3}},
	}, true},
	{"3-of-5-one-key-rotated", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{0, 1, 3, 4, 5}, 3, []int{0, 4, 1}},
	}, true},
	{"3-of-5-one-key-rotated-with-intermediate-step", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{0, 1, 3, 4, 5}, 3, []int{0, 2, 4, 5}},
		{[]int{0, 1, 3, 4, 5}, 3, []int{0, 4, 5}},
	}, true},
	{"3-of-5-all-keys-rotated-with-intermediate-step", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{5, 6, 7, 8, 9}, 3, []int{0, 2, 4, 5, 6, 7}},
		{[]int{5, 6, 7, 8, 9}, 3, []int{5, 6, 7}},
	}, true},
	{"1-of-3-threshold-increase-to-2-of-3", []mdVersion{
		{[]int{1, 2, 3}, 1, []int{1}},
		{[]int{1, 2, 3}, 2, []int{1, 2}},
	}, true},
	{"2-of-3-threshold-decrease-to-1-of-3", []mdVersion{
		{[]int{1, 2, 3}, 2, []int{1, 2}},
		{[]int{1, 2, 3}, 1, []int{1, 2}},
		{[]int{1, 2, 3}, 1, []int{1}},
	}, true},
	{"1-of-2-threshold-increase-to-2-of-2", []mdVersion{
		{[]int{1}, 1, []int{1}},
		{[]int{1, 2}, 2, []int{1, 2}},
	}, true},
	{"1-of-1-key-rotation-fail-not-signed-with-old-key", []mdVersion{
		{[]int{1}, 1, []int{1}},
		{[]int{2}, 1, []int{2, 3, 4}},
	}, false},
	{"1-of-1-key-rotation-fail-not-signed-with-new-key", []mdVersion{
		{[]int{1}, 1, []int{1}},
		{[]int{2}, 1, []int{1, 3, 4}},
	}, false},
	{"3-of-5-one-key-rotate-fails-not-signed-with-3-new-keys", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{0, 1, 3, 4, 5}, 3, []int{0, 2, 4}},
	}, false},
	{"3-of-5-one-key-rotate-fails-not-signed-with-3-old-keys", []mdVersion{
		{[]int{0, 1, 2, 3, 4}, 3, []int{0, 2, 4}},
		{[]int{0, 1, 3, 4, 5}, 3, []int{0, 4, 5}},
	}, false},
	{"1-of-3-threshold-bump-to-2-of-3-fails-new-threshold-not-reached", []mdVersion{
		{[]int{1, 2, 3}, 1, []int{1}},
		{[]int{1, 2, 3}, 2, []int{2}},
	}, false},
	{"2-of-3-threshold-decr-to-1-of-3-fails-old-threshold-not-reached", []mdVersion{
		{[]int{1, 2, 3}, 2, []int{1, 2}},
		{[]int{1, 2, 3}, 1, []int{1}},
	}, false},
}

func TestRootRotationConformance(t *testing.T) {
	if len(rootRotationCases) != 15 {
		t.Fatalf("%d cases, want the 15 of tuf-conformance", len(rootRotationCases))
	}
	for _, tc := range rootRotationCases {
		t.Run(tc.name, func(t *testing.T) {
			var files [][]byte
			for i, v := range tc.versions {
				files = append(files, rootFile(int64(i+1), farAway, keys(v.keys...), v.threshold, keys(v.sigs...)))
			}
			trusted := mustParse(t, files[0])
			opts := verify.Options{Now: t0}
			res, err := verify.Chain(trusted, files[1:], opts)
			checkVerdict(t, res, err, tc.ok, verify.ErrThreshold)
			if tc.ok {
				if got, want := res.Root.Version(), int64(len(files)); got != want {
					t.Fatalf("trusted version %d, want %d", got, want)
				}
				if len(res.Steps) != len(files) {
					t.Fatalf("%d steps, want %d", len(res.Steps), len(files))
				}
				return
			}
			var te *verify.ThresholdError
			if !errors.As(err, &te) || te.Version != int64(len(files)) {
				t.Fatalf("want a *ThresholdError for v%d, got %v", len(files), err)
			}
			// The client keeps the last good root.
			res, err = verify.Chain(trusted, files[1:len(files)-1], opts)
			checkVerdict(t, res, err, true, nil)
			if got, want := res.Root.Version(), int64(len(files)-1); got != want {
				t.Fatalf("previous chain trusted v%d, want v%d", got, want)
			}
		})
	}
}

// TestThresholdCounting covers counting rules on a single root and on a
// rotation: distinct public keys, not key IDs or signature entries.
func TestThresholdCounting(t *testing.T) {
	k := gen.ECDSA(1)
	kAlias := k.WithKeytype("ecdsa-sha2-nistp256") // same key, other keytype spelling and key ID
	kHolder := k.With("x-tuf-on-ci-keyowner", "@someone")
	k2, k3 := gen.ECDSA(2), gen.ECDSA(3)
	other := gen.Ed25519(9)

	sign := func(signed map[string]any, sigs ...gen.Sig) []byte { return gen.Envelope(signed, sigs) }
	payloadSigs := func(signed map[string]any, ks ...*gen.Key) []gen.Sig {
		return gen.SignAll(gen.Canonical(signed), ks...)
	}
	roles := func(thr int, ks ...*gen.Key) map[string]any {
		return gen.Root(1, farAway, false, gen.TopRoles(ks, thr, online))
	}

	cases := []struct {
		name string
		file func() []byte
		ok   bool
		want error
	}{
		{"2-of-3 signed by 2 distinct keys", func() []byte {
			s := roles(2, k, k2, k3)
			return sign(s, payloadSigs(s, k, k3)...)
		}, true, nil},
		{"same key under two keytype spellings counts once", func() []byte {
			s := roles(2, k, kAlias, k2)
			return sign(s, payloadSigs(s, k, kAlias)...)
		}, false, verify.ErrThreshold},
		{"same key under two key IDs via a custom field counts once", func() []byte {
			s := roles(2, k, kHolder)
			return sign(s, payloadSigs(s, k, kHolder)...)
		}, false, verify.ErrThreshold},
		{"same key under two key IDs meets a threshold of 1", func() []byte {
			s := roles(1, k, kAlias)
			return sign(s, payloadSigs(s, kAlias)...)
		}, true, nil},
		{"a repeated signature entry is rejected (test_duplicate_sig_keyids)", func() []byte {
			s := roles(1, k, k2)
			sigs := payloadSigs(s, k, k2)
			return sign(s, append(sigs, sigs[0])...)
		}, false, nil},
		{"one key's signature repeated 9 times under threshold 6 (test_duplicate_keys)", func() []byte {
			s := roles(6, k, k2, k3, other, kAlias, kHolder)
			sig := payloadSigs(s, k)[0]
			sigs := []gen.Sig{sig}
			for i := 0; i < 8; i++ {
				sigs = append(sigs, sig)
			}
			return sign(s, sigs...)
		}, false, nil},
		{"the same signature copied under an alias key ID counts once", func() []byte {
			s := roles(2, k, kAlias, k2)
			sig := payloadSigs(s, k)[0]
			return sign(s, sig, gen.Sig{KeyID: kAlias.ID, Sig: sig.Sig})
		}, false, verify.ErrThreshold},
		{"empty and invalid extra signatures do not fail a valid root (test_invalid_sig_in_valid_metadata)", func() []byte {
			s := roles(1, k, k2, k3)
			good := payloadSigs(s, k)[0]
			bad := gen.Sig{KeyID: k2.ID, Sig: k2.Sign([]byte("something else"))}
			return sign(s, bad, gen.Sig{KeyID: k3.ID}, good)
		}, true, nil},
		{"signatures under unknown key IDs are ignored", func() []byte {
			s := roles(1, k2)
			sigs := payloadSigs(s, other, k2)
			sigs = append(sigs, gen.Sig{KeyID: strings.Repeat("ab", 32), Sig: []byte{1, 2, 3}})
			return sign(s, sigs...)
		}, true, nil},
		{"only unknown and empty signatures", func() []byte {
			s := roles(1, k2)
			return sign(s, append(payloadSigs(s, other), gen.Sig{KeyID: k2.ID})...)
		}, false, verify.ErrThreshold},
		{"a signature by a non-root key listed in another role does not count", func() []byte {
			s := roles(1, k2)
			return sign(s, payloadSigs(s, online)...)
		}, false, verify.ErrThreshold},
		{"a signature over other content does not count", func() []byte {
			s := roles(1, k2)
			return sign(s, gen.Sig{KeyID: k2.ID, Sig: k2.Sign([]byte(`{"_type":"root"}`))})
		}, false, verify.ErrThreshold},
		{"no signatures", func() []byte {
			return sign(roles(1, k2))
		}, false, verify.ErrThreshold},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := verify.Chain(mustParseOrNil(t, tc.file(), tc.ok), nil, verify.Options{Now: t0})
			if tc.want == nil && !tc.ok {
				// The verdict is "not trusted": either the strict parser
				// rejected the file or verification failed.
				if res != nil {
					t.Fatalf("want rejection, got trusted root")
				}
				return
			}
			checkVerdict(t, res, err, tc.ok, tc.want)
		})
	}
}

// mustParseOrNil parses a root; when the file is expected to be rejected, a
// parse error is an acceptable verdict and nil is returned (Chain then
// fails on the nil trusted root).
func mustParseOrNil(t *testing.T, data []byte, mustSucceed bool) *rootT {
	t.Helper()
	r, err := parseRoot(data)
	if err != nil {
		if mustSucceed {
			t.Fatalf("root.Parse: %v", err)
		}
		t.Logf("rejected by root.Parse: %v", err)
		return nil
	}
	return r
}

// TestRotationCounting covers the previous-root threshold of a rotation.
func TestRotationCounting(t *testing.T) {
	a, b, c, d := gen.ECDSA(11), gen.ECDSA(12), gen.ECDSA(13), gen.ECDSA(14)
	v1 := rootFile(1, farAway, []*gen.Key{a, b, c}, 2, []*gen.Key{a, b})
	trusted := mustParse(t, v1)
	cases := []struct {
		name string
		v2   func() []byte
		ok   bool
		want error
	}{
		{"keys re-listed under new key IDs, signed under both old and new IDs (Sigstore v5, v9, v10)", func() []byte {
			na, nb, nc := a.With("x-tuf-on-ci-keyowner", "@a"), b.With("x-tuf-on-ci-keyowner", "@b"), c.With("x-tuf-on-ci-keyowner", "@c")
			s := gen.Root(2, farAway, false, gen.TopRoles([]*gen.Key{na, nb, nc}, 2, online))
			return gen.Sign(s, a, b, na, nb)
		}, true, nil},
		{"keys re-listed under new key IDs, signed only under the new IDs", func() []byte {
			na, nb, nc := a.With("x-tuf-on-ci-keyowner", "@a"), b.With("x-tuf-on-ci-keyowner", "@b"), c.With("x-tuf-on-ci-keyowner", "@c")
			s := gen.Root(2, farAway, false, gen.TopRoles([]*gen.Key{na, nb, nc}, 2, online))
			return gen.Sign(s, na, nb)
		}, false, verify.ErrThreshold},
		{"new key d replaces c, signed by a, b, d", func() []byte {
			return rootFile(2, farAway, []*gen.Key{a, b, d}, 2, []*gen.Key{a, b, d})
		}, true, nil},
		{"one old key and the new key only", func() []byte {
			return rootFile(2, farAway, []*gen.Key{a, d}, 2, []*gen.Key{a, d})
		}, false, verify.ErrThreshold},
		{"version skips ahead", func() []byte {
			return rootFile(3, farAway, []*gen.Key{a, b, c}, 2, []*gen.Key{a, b})
		}, false, verify.ErrVersion},
		{"same version replayed", func() []byte {
			return rootFile(1, farAway, []*gen.Key{a, b, c}, 2, []*gen.Key{a, b})
		}, false, verify.ErrRollback},
		{"garbage", func() []byte { return []byte("{not json") }, false, root.ErrMalformed},
		{"targets metadata offered as root", func() []byte {
			s := map[string]any{"_type": "targets", "spec_version": "1.0.31", "version": 2, "expires": gen.Expiry(farAway), "targets": map[string]any{}}
			return gen.Sign(s, a, b)
		}, false, root.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := verify.Chain(trusted, [][]byte{tc.v2()}, verify.Options{Now: t0})
			checkVerdict(t, res, err, tc.ok, tc.want)
		})
	}
}

func TestChainVersionErrors(t *testing.T) {
	ks := keys(1, 2, 3)
	v := func(n int64) []byte { return rootFile(n, farAway, ks, 2, ks) }
	trusted := mustParse(t, v(1))
	_, err := verify.Chain(trusted, [][]byte{v(2), v(4)}, verify.Options{Now: t0})
	var ve *verify.VersionError
	if !errors.As(err, &ve) || ve.Got != 4 || ve.Want != 3 || ve.Rollback || errors.Is(err, verify.ErrRollback) {
		t.Fatalf("skip: got %v", err)
	}
	_, err = verify.Chain(trusted, [][]byte{v(2), v(2)}, verify.Options{Now: t0})
	if !errors.As(err, &ve) || !ve.Rollback || !errors.Is(err, verify.ErrRollback) || !errors.Is(err, verify.ErrVersion) {
		t.Fatalf("replay: got %v", err)
	}
}

func TestChainExpiry(t *testing.T) {
	ks := keys(1, 2, 3)
	expired := t0.Add(-24 * 3600e9)
	v1 := rootFile(1, expired, ks, 2, ks)
	v2 := rootFile(2, expired, ks, 2, ks)
	v3 := rootFile(3, farAway, ks, 2, ks)
	trusted := mustParse(t, v1)

	// Intermediate and trusted roots may have expired.
	res, err := verify.Chain(trusted, [][]byte{v2, v3}, verify.Options{Now: t0})
	checkVerdict(t, res, err, true, nil)

	// The newest root must not have expired.
	res, err = verify.Chain(trusted, [][]byte{v2}, verify.Options{Now: t0})
	checkVerdict(t, res, err, false, verify.ErrExpired)
	var ee *verify.ExpiredError
	if !errors.As(err, &ee) || ee.Version != 2 || !ee.Expires.Equal(expired) || !ee.Now.Equal(t0) || len(ee.Steps) != 2 {
		t.Fatalf("want ExpiredError for v2 with 2 steps, got %#v", err)
	}
	// Expiry is exclusive: a root is expired at its expiry instant.
	res, err = verify.Root(mustParse(t, v3), verify.Options{Now: farAway})
	checkVerdict(t, res, err, false, verify.ErrExpired)
	res, err = verify.Root(mustParse(t, v3), verify.Options{Now: farAway.Add(-1e9)})
	checkVerdict(t, res, err, true, nil)

	// A forged step after an expired one fails as forged, not expired.
	forged := rootFile(3, farAway, ks, 2, keys(7, 8))
	_, err = verify.Chain(trusted, [][]byte{v2, forged}, verify.Options{Now: t0})
	if !errors.Is(err, verify.ErrThreshold) || errors.Is(err, verify.ErrExpired) {
		t.Fatalf("forged step: got %v", err)
	}
}

func TestChainBounds(t *testing.T) {
	ks := keys(1)
	var files [][]byte
	for v := int64(1); v <= 5; v++ {
		files = append(files, rootFile(v, farAway, ks, 1, ks))
	}
	trusted := mustParse(t, files[0])
	res, err := verify.Chain(trusted, files[1:], verify.Options{Now: t0, MaxRootSteps: 4})
	checkVerdict(t, res, err, true, nil)
	res, err = verify.Chain(trusted, files[1:], verify.Options{Now: t0, MaxRootSteps: 3})
	checkVerdict(t, res, err, false, verify.ErrTooLarge)
	res, err = verify.Chain(trusted, files[1:2], verify.Options{Now: t0, Limits: verify.Limits{Root: len(files[1]) - 1}})
	checkVerdict(t, res, err, false, verify.ErrTooLarge)
	res, err = verify.Chain(nil, nil, verify.Options{Now: t0})
	checkVerdict(t, res, err, false, root.ErrMalformed)
}

func TestKeyIDMismatch(t *testing.T) {
	a, b := gen.ECDSA(21), gen.ECDSA(22)
	bad := b.WithID(strings.Repeat("0f", 32))
	file := rootFile(1, farAway, []*gen.Key{a, bad}, 1, []*gen.Key{a})
	r := mustParse(t, file)
	res, err := verify.Root(r, verify.Options{Now: t0})
	checkVerdict(t, res, err, true, nil)
	if len(res.Warnings) != 1 || res.Warnings[0].Code != "keyid-mismatch" || string(res.Warnings[0].KeyID) != bad.ID {
		t.Fatalf("warnings %+v, want one keyid-mismatch for %s", res.Warnings, bad.ID)
	}
	res, err = verify.Root(r, verify.Options{Now: t0, Strict: true})
	checkVerdict(t, res, err, false, verify.ErrKeyIDMismatch)
	if !strings.Contains(err.Error(), bad.ID) {
		t.Fatalf("error %q does not name the key", err)
	}
}

func TestChainResultJSON(t *testing.T) {
	ks := keys(1, 2, 3)
	trusted := mustParse(t, rootFile(1, farAway, ks, 2, ks))
	res, err := verify.Chain(trusted, [][]byte{rootFile(2, farAway, ks, 2, ks)}, verify.Options{Now: t0})
	checkVerdict(t, res, err, true, nil)
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Steps []struct {
			Version      int64
			Requirements []struct {
				Name      string
				Threshold int
				SignedBy  []struct{ KeyID string } `json:"signed_by"`
			}
		}
	}
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Steps) != 2 || len(back.Steps[1].Requirements) != 2 {
		t.Fatalf("unexpected JSON %s", out)
	}
	for _, req := range back.Steps[1].Requirements {
		if len(req.SignedBy) != req.Threshold {
			t.Fatalf("%s: %d signers counted, want exactly the threshold %d", req.Name, len(req.SignedBy), req.Threshold)
		}
	}
	if back.Steps[1].Requirements[0].Name != "root v1 (previous)" {
		t.Fatalf("first requirement %q", back.Steps[1].Requirements[0].Name)
	}
}

func TestUnsignedInitialRoot(t *testing.T) {
	ks := keys(1, 2, 3)
	for _, tc := range []struct {
		name    string
		signers []*gen.Key
		ok      bool
	}{
		{"unsigned", nil, false},
		{"below threshold", ks[:1], false},
		{"signed by other keys", keys(4, 5), false},
		{"threshold", ks[1:], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, rootFile(1, farAway, ks, 2, tc.signers))
			res, err := verify.Root(r, verify.Options{Now: t0})
			checkVerdict(t, res, err, tc.ok, verify.ErrThreshold)
			res, err = verify.Chain(r, [][]byte{rootFile(2, farAway, ks, 2, ks)}, verify.Options{Now: t0})
			checkVerdict(t, res, err, tc.ok, verify.ErrThreshold)
		})
	}
}

func TestRotation(t *testing.T) {
	ks := keys(1, 2, 3)
	v1 := mustParse(t, rootFile(1, farAway, ks, 2, ks))
	good := mustParse(t, rootFile(2, farAway, keys(1, 2, 4), 2, keys(1, 2)))
	newOnly := mustParse(t, rootFile(2, farAway, keys(4, 5), 2, keys(4, 5)))
	skip := mustParse(t, rootFile(3, farAway, ks, 2, ks))
	res, err := verify.Rotation(v1, good, verify.Options{Now: t0})
	checkVerdict(t, res, err, true, nil)
	if res.Root != good {
		t.Fatalf("Rotation returned another root")
	}
	res, err = verify.Rotation(v1, newOnly, verify.Options{Now: t0})
	checkVerdict(t, res, err, false, verify.ErrThreshold)
	res, err = verify.Rotation(v1, skip, verify.Options{Now: t0})
	checkVerdict(t, res, err, false, verify.ErrVersion)
	res, err = verify.Rotation(v1, nil, verify.Options{Now: t0})
	checkVerdict(t, res, err, false, root.ErrMalformed)
	res, err = verify.Rotation(v1, good, verify.Options{Now: farAway})
	checkVerdict(t, res, err, false, verify.ErrExpired)
}
