package verify_test

// Hardening: a fuzzer for the signing status a ceremony watches. Its
// property is that the status never claims a threshold met that is not:
// every requirement's signers are recounted independently (distinct keys of
// the requirement's root role whose signature verifies over the signing
// payload), and the status must agree with the recount and with
// verify.Root and verify.Rotation.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/internal/vectors"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// recount returns the fingerprints of the distinct keys of keysFrom's root
// role that validly signed r, and that role's threshold.
func recount(r, keysFrom *root.Root) (map[string]bool, int) {
	valid := map[string]bool{}
	rk, ok := keysFrom.Role(root.RoleRoot)
	if !ok {
		return valid, 0
	}
	payload := r.SigningPayload()
	for _, key := range rk.Keys {
		id := key.ID()
		for _, s := range r.Signatures() {
			if s.KeyID == id && len(s.Value) > 0 && key.Verify(payload, s.Value) == nil {
				valid[key.Fingerprint()] = true
			}
		}
	}
	return valid, rk.Threshold
}

// checkStatus asserts the signing-status property for r (and prev, which
// may be nil).
func checkStatus(t *testing.T, r, prev *root.Root) {
	st := r.SigningStatus(prev)
	if st == nil {
		t.Fatal("Status returned nil")
	}
	type want struct {
		name  string
		valid map[string]bool
		thr   int
	}
	var wants []want
	if prev != nil {
		v, thr := recount(r, prev)
		wants = append(wants, want{"previous", v, thr})
	}
	v, thr := recount(r, r)
	wants = append(wants, want{"own", v, thr})
	if len(st.Requirements) != len(wants) {
		t.Fatalf("%d requirements, want %d", len(st.Requirements), len(wants))
	}
	allMet := true
	for i, w := range wants {
		rs := st.Requirements[i]
		var signed []string
		seen := map[string]bool{}
		for _, k := range rs.Signed {
			if seen[k.Fingerprint] {
				t.Errorf("%s: key %s listed twice as signed", rs.Name, k.Fingerprint)
			}
			seen[k.Fingerprint] = true
			signed = append(signed, k.Fingerprint)
		}
		var valid []string
		for fp := range w.valid {
			valid = append(valid, fp)
		}
		sort.Strings(signed)
		sort.Strings(valid)
		if fmt.Sprint(signed) != fmt.Sprint(valid) {
			t.Errorf("%s (%s): status says signed by %v, recount finds %v", rs.Name, w.name, signed, valid)
		}
		for _, k := range append(append([]root.KeyStatus{}, rs.Missing...), rs.Invalid...) {
			if seen[k.Fingerprint] {
				t.Errorf("%s: key %s is both signed and missing/invalid", rs.Name, k.Fingerprint)
			}
		}
		if rs.Threshold != w.thr {
			t.Errorf("%s: threshold %d, root says %d", rs.Name, rs.Threshold, w.thr)
		}
		met := w.thr >= 1 && len(w.valid) >= w.thr
		allMet = allMet && met
		wantNeeded := max(w.thr-len(w.valid), 0)
		if w.thr >= 1 && rs.Needed != wantNeeded {
			t.Errorf("%s: needed %d, recount says %d", rs.Name, rs.Needed, wantNeeded)
		}
		if rs.Needed == 0 && !met {
			t.Errorf("%s: status claims the threshold %d met with %d distinct valid keys", rs.Name, w.thr, len(w.valid))
		}
	}
	if st.Complete && !allMet {
		t.Errorf("status claims complete but a threshold is not met: %+v", st)
	}
	// Cross-check with the verifiers, at a time when nothing has expired.
	now := r.Expires().Add(-time.Second)
	if prev != nil {
		if res, err := verify.Rotation(prev, r, verify.Options{Now: now}); err == nil {
			if res == nil {
				t.Fatal("Rotation: nil result with nil error")
			}
			if !allMet || !st.Complete {
				t.Errorf("Rotation accepts what Status says is incomplete (all met by recount: %v): %+v", allMet, st)
			}
		} else if res != nil {
			t.Errorf("Rotation returned a result with error %v", err)
		}
	} else if res, err := verify.Root(r, verify.Options{Now: now}); err == nil {
		if res == nil {
			t.Fatal("Root: nil result with nil error")
		}
		if !allMet || !st.Complete {
			t.Errorf("Root accepts what Status says is incomplete (all met by recount: %v): %+v", allMet, st)
		}
	} else if res != nil {
		t.Errorf("Root returned a result with error %v", err)
	}
}

// dropSignatures returns data with only the first n signature entries.
func dropSignatures(data []byte, n int) []byte {
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	var sigs []json.RawMessage
	if json.Unmarshal(doc["signatures"], &sigs) != nil || len(sigs) <= n {
		return nil
	}
	doc["signatures"], _ = json.Marshal(sigs[:n])
	out, err := json.Marshal(doc)
	if err != nil {
		return nil
	}
	return out
}

// statusSeeds returns (prev, next) pairs from the real Sigstore chains, the
// same with signatures dropped (partly signed ceremonies), and the
// adversarial corpus.
func statusSeeds(t testing.TB) [][2][]byte {
	var seeds [][2][]byte
	for _, chain := range []string{"prod", "staging-tuf-on-ci", "staging"} {
		dir := filepath.Join(sharedtestdata.SigstoreRoot(t), chain)
		var prev []byte
		for v := 1; ; v++ {
			data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.root.json", v)))
			if err != nil {
				break
			}
			seeds = append(seeds, [2][]byte{nil, data})
			if prev != nil {
				seeds = append(seeds, [2][]byte{prev, data})
				for n := 0; n < 4; n++ {
					if d := dropSignatures(data, n); d != nil {
						seeds = append(seeds, [2][]byte{prev, d})
					}
				}
			}
			prev = data
		}
	}
	cases, err := vectors.Load(vectors.CorpusDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Kind != vectors.KindChain {
			continue
		}
		first, err := c.Read(c.Trusted)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Steps) == 0 {
			seeds = append(seeds, [2][]byte{nil, first})
			continue
		}
		next, err := c.Read(c.Steps[0])
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, [2][]byte{first, next})
	}
	return seeds
}

// FuzzSigningStatus feeds arbitrary (previous, candidate) root pairs to
// Status and checks it never claims a threshold met that is not.
func FuzzSigningStatus(f *testing.F) {
	seeds := statusSeeds(f)
	if len(seeds) < 20 {
		f.Fatalf("signing-status seed corpus has %d entries; the real chains or the vectors are missing", len(seeds))
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, prevData, data []byte) {
		r, err := root.Parse(data)
		if err != nil {
			return
		}
		var prev *root.Root
		if len(bytes.TrimSpace(prevData)) > 0 {
			if prev, err = root.Parse(prevData); err != nil {
				return
			}
		}
		checkStatus(t, r, prev)
	})
}

// statusSigners are the keys FuzzSigningStatusSigned builds roots from:
// five keyholders and a stranger (index 5) no root lists.
func statusSigners(tb testing.TB) ([]*fake.Signer, []root.Key) {
	tb.Helper()
	var ss []*fake.Signer
	var ks []root.Key
	for i := 0; i < 6; i++ {
		s, err := fake.NewType(fmt.Sprintf("status-fuzz-%d", i), fake.Ed25519)
		if err != nil {
			tb.Fatal(err)
		}
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: fmt.Sprintf("holder-%d", i)})
		if err != nil {
			tb.Fatal(err)
		}
		ss, ks = append(ss, s), append(ks, k)
	}
	return ss, ks
}

// pickKeys returns the keys whose bit is set in mask (at least one).
func pickKeys(ks []root.Key, mask byte) []root.Key {
	var out []root.Key
	for i := 0; i < 5; i++ {
		if mask&(1<<i) != 0 {
			out = append(out, ks[i])
		}
	}
	if len(out) == 0 {
		out = ks[:1]
	}
	return out
}

// FuzzSigningStatusSigned builds roots and rotations from fuzz-chosen key
// sets and thresholds, then adds fuzz-chosen signature entries: valid ones,
// ones over other bytes, empty ones, ones under another key's ID, repeated
// ones, and a stranger's. Unlike FuzzSigningStatus, whose mutations mostly
// break every signature, here many signatures verify, so the threshold
// arithmetic itself is under test.
func FuzzSigningStatusSigned(f *testing.F) {
	ss, ks := statusSigners(f)
	for _, seed := range [][]byte{
		{0x1f, 3, 0, 0x07, 0x1c, 0, 4, 8, 12},
		{0x1f, 3, 1, 0x07, 0x1c, 2, 0, 4, 8, 12, 16},
		{0x03, 2, 0, 0, 0, 0, 0, 0},
		{0x07, 2, 1, 0x07, 0x07, 2, 1, 5, 2, 6, 3},
		{0x1f, 5, 1, 0x03, 0x1f, 3, 0, 4, 8, 12, 16, 20, 1},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 6 || len(b) > 64 {
			return
		}
		expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		online := root.RolePolicy{Keys: ks[5:6], Threshold: 1}
		policy := func(keys []root.Key, thr byte) root.Policy {
			return root.Policy{
				Roles: map[root.Role]root.RolePolicy{
					root.RoleRoot:    {Keys: keys, Threshold: 1 + int(thr)%len(keys)},
					root.RoleTargets: online, root.RoleSnapshot: online, root.RoleTimestamp: online,
				},
				Expires: expires,
			}
		}
		r, err := root.New(policy(pickKeys(ks, b[0]), b[1]))
		if err != nil {
			t.Fatal(err)
		}
		var prev *root.Root
		if b[2]&1 == 1 {
			// A rotation: b[0]/b[1] describe v1, b[3]/b[4] v2.
			prev = r
			for _, s := range ss[:5] {
				_, _ = prev.Sign(context.Background(), s, nil) // keys prev lacks are refused
			}
			newKeys := pickKeys(ks, b[3])
			var change root.RoleChange
			for _, k := range prev.Keys() {
				if rk, _ := prev.Role(root.RoleRoot); slices.ContainsFunc(rk.Keys, func(o root.Key) bool { return o.ID() == k.ID() }) {
					change.Remove = append(change.Remove, k.ID())
				}
			}
			change.Add = newKeys
			change.Threshold = 1 + int(b[4])%len(newKeys)
			if r, err = prev.Next(root.Rotation{Expires: expires, Roles: map[root.Role]root.RoleChange{root.RoleRoot: change}}); err != nil {
				t.Fatal(err)
			}
		}
		// Signature entries, added to the file form.
		payload := r.SigningPayload()
		idOf := func(i int) string { return string(ks[i].ID()) }
		var entries []map[string]string
		for _, op := range b[5:] {
			who := int(op>>2) % 6
			var e map[string]string
			switch op & 3 {
			case 0: // a valid signature under the signer's own key ID
				sig, _ := ss[who].Sign(context.Background(), payload)
				e = map[string]string{"keyid": idOf(who), "sig": hex.EncodeToString(sig)}
			case 1: // a signature over other bytes
				sig, _ := ss[who].Sign(context.Background(), append([]byte("x"), payload...))
				e = map[string]string{"keyid": idOf(who), "sig": hex.EncodeToString(sig)}
			case 2: // an empty placeholder
				e = map[string]string{"keyid": idOf(who), "sig": ""}
			case 3: // a valid signature under the next key's ID
				sig, _ := ss[who].Sign(context.Background(), payload)
				e = map[string]string{"keyid": idOf((who + 1) % 6), "sig": hex.EncodeToString(sig)}
			}
			entries = append(entries, e)
		}
		file, err := r.MarshalFile()
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(file, &doc); err != nil {
			t.Fatal(err)
		}
		if entries == nil {
			entries = []map[string]string{}
		}
		doc["signatures"], _ = json.Marshal(entries)
		file, _ = json.Marshal(doc)
		signed, err := root.Parse(file)
		if err != nil {
			// Only repeated key IDs make the file malformed.
			seen := map[string]bool{}
			dup := false
			for _, e := range entries {
				dup = dup || seen[e["keyid"]]
				seen[e["keyid"]] = true
			}
			if !dup {
				t.Fatalf("Parse refused signatures without repeated key IDs: %v", err)
			}
			return
		}
		checkStatus(t, signed, prev)
	})
}
