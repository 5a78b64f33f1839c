package verify

import (
	"errors"
	"testing"

	"github.com/trustroot/trustroot/root"
)

// fakeKey is a verifier that accepts signatures equal to "ok:"+fp and
// counts its calls.
type fakeKey struct {
	id, fp, scheme string
	calls          *int
}

func (k fakeKey) ID() root.KeyID      { return root.KeyID(k.id) }
func (k fakeKey) Holder() string      { return "" }
func (k fakeKey) Unsupported() string { return "" }
func (k fakeKey) Fingerprint() string { return k.fp }
func (k fakeKey) Scheme() string      { return k.scheme }
func (k fakeKey) Verify(msg, sig []byte) error {
	*k.calls++
	if string(sig) == "ok:"+k.fp {
		return nil
	}
	return errors.New("bad signature")
}

func req(thr int, calls *int, spec ...string) requirement {
	// spec: "id=fp"
	r := requirement{threshold: thr}
	for _, s := range spec {
		var id, fp string
		for i := range s {
			if s[i] == '=' {
				id, fp = s[:i], s[i+1:]
			}
		}
		r.keys = append(r.keys, fakeKey{id: id, fp: fp, scheme: "s", calls: calls})
	}
	return r
}

func TestCountVerifiesEachPairOnceAndStopsAtThreshold(t *testing.T) {
	cases := []struct {
		name      string
		old, own  []string
		oldThr    int
		ownThr    int
		sigs      map[string]string
		wantOld   int
		wantOwn   int
		wantCalls int
	}{
		{
			name: "unchanged keys, all five signed: threshold 3 needs 3 checks for both",
			old:  []string{"a=A", "b=B", "c=C", "d=D", "e=E"}, own: []string{"a=A", "b=B", "c=C", "d=D", "e=E"},
			oldThr: 3, ownThr: 3,
			sigs:    map[string]string{"a": "ok:A", "b": "ok:B", "c": "ok:C", "d": "ok:D", "e": "ok:E"},
			wantOld: 3, wantOwn: 3, wantCalls: 3,
		},
		{
			name: "retired key listed first: the old threshold prefers keys the new root also needs",
			old:  []string{"x=X", "a=A", "b=B", "c=C"}, own: []string{"a=A", "b=B", "c=C", "d=D"},
			oldThr: 3, ownThr: 3,
			sigs:    map[string]string{"x": "ok:X", "a": "ok:A", "b": "ok:B", "c": "ok:C", "d": "ok:D"},
			wantOld: 3, wantOwn: 3, wantCalls: 3,
		},
		{
			name: "same keys under new key IDs, same signature bytes: cache hits",
			old:  []string{"a=A", "b=B"}, own: []string{"a2=A", "b2=B"},
			oldThr: 2, ownThr: 2,
			sigs:    map[string]string{"a": "ok:A", "b": "ok:B", "a2": "ok:A", "b2": "ok:B"},
			wantOld: 2, wantOwn: 2, wantCalls: 2,
		},
		{
			name: "one key under two IDs counts once and is verified once",
			old:  []string{"a=A", "a2=A", "b=B"}, own: []string{"a=A", "a2=A", "b=B"},
			oldThr: 2, ownThr: 2,
			sigs:    map[string]string{"a": "ok:A", "a2": "ok:A"},
			wantOld: 1, wantOwn: 1, wantCalls: 1,
		},
		{
			name: "bad signature then good one under an alias",
			old:  []string{"a=A", "a2=A", "b=B"}, own: []string{"b=B"},
			oldThr: 2, ownThr: 1,
			sigs:    map[string]string{"a": "junk", "a2": "ok:A", "b": "ok:B"},
			wantOld: 2, wantOwn: 1, wantCalls: 3,
		},
		{
			name: "empty signatures and unknown IDs are skipped without a check",
			old:  []string{"a=A", "b=B"}, own: []string{"a=A", "b=B"},
			oldThr: 1, ownThr: 1,
			sigs:    map[string]string{"a": "", "zz": "ok:Z", "b": "ok:B"},
			wantOld: 1, wantOwn: 1, wantCalls: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			old := req(tc.oldThr, &calls, tc.old...)
			own := req(tc.ownThr, &calls, tc.own...)
			sigs := map[root.KeyID][]byte{}
			for k, v := range tc.sigs {
				if v != "" {
					sigs[root.KeyID(k)] = []byte(v)
				}
			}
			var c pairCache
			gotOld := c.count(&old, []byte("payload"), sigs, own.signedFingerprints(sigs))
			gotOwn := c.count(&own, []byte("payload"), sigs, nil)
			if len(gotOld) != tc.wantOld || len(gotOwn) != tc.wantOwn || calls != tc.wantCalls {
				t.Fatalf("old %d own %d calls %d, want %d %d %d", len(gotOld), len(gotOwn), calls, tc.wantOld, tc.wantOwn, tc.wantCalls)
			}
		})
	}
}
