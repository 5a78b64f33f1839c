package verify_test

// Hardening: a fuzzer for the signing status a ceremony watches. Its
// property is that the status never claims a threshold met that is not:
// every requirement's signers are recounted independently (distinct keys of
// the requirement's root role whose signature verifies over the signing
// payload), and the status must agree with the recount and with
// verify.Root and verify.Rotation.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/internal/vectors"
	"github.com/trustroot/trustroot/root"
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
	for _, id := range rk.KeyIDs {
		key, ok := keysFrom.Key(id)
		if !ok {
			continue
		}
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
	st := verify.Status(r, prev)
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
		for _, k := range append(append([]verify.KeyStatus{}, rs.Missing...), rs.Invalid...) {
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
