package verify_test

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/verify"
)

func readChain(t *testing.T, dir string, from, to int) [][]byte {
	t.Helper()
	var out [][]byte
	for v := from; v <= to; v++ {
		data, err := os.ReadFile(sharedtestdata.Path(t, dir, fmt.Sprintf("%d.root.json", v)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestRealChains walks Sigstore's production and staging root chains as
// published, at a reference time before the newest root expired, and at the
// current time, when the newest root has expired.
func TestRealChains(t *testing.T) {
	cases := []struct {
		dir          string
		from, to     int
		at           time.Time
		expires      time.Time
		warnVersions []int64
	}{
		{"prod", 1, 15, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 13, 58, 18, 0, time.UTC), []int64{11}},
		{"prod", 5, 15, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 13, 58, 18, 0, time.UTC), []int64{11}},
		{"staging-tuf-on-ci", 1, 14, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 16, 19, 39, 43, 0, time.UTC), []int64{5, 6, 7, 8}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d-%d", tc.dir, tc.from, tc.to), func(t *testing.T) {
			files := readChain(t, tc.dir, tc.from, tc.to)
			trusted := mustParse(t, files[0])

			res, err := verify.Chain(trusted, files[1:], verify.Options{Now: tc.at})
			checkVerdict(t, res, err, true, nil)
			if got := res.Root.Version(); got != int64(tc.to) {
				t.Fatalf("trusted v%d, want v%d", got, tc.to)
			}
			if len(res.Steps) != tc.to-tc.from+1 {
				t.Fatalf("%d steps, want %d", len(res.Steps), tc.to-tc.from+1)
			}
			for _, st := range res.Steps[1:] {
				if len(st.Requirements) != 2 {
					t.Fatalf("v%d: %d requirements met, want previous and own", st.Version, len(st.Requirements))
				}
				for _, m := range st.Requirements {
					if len(m.SignedBy) != m.Threshold || m.Threshold < 1 {
						t.Fatalf("v%d %s: %d keys counted for threshold %d", st.Version, m.Name, len(m.SignedBy), m.Threshold)
					}
				}
			}
			if got := warningVersions(res.Warnings); fmt.Sprint(got) != fmt.Sprint(tc.warnVersions) {
				t.Fatalf("key ID warnings in versions %v, want %v (%+v)", got, tc.warnVersions, res.Warnings)
			}

			// Strict mode turns the mismatches into a failure.
			res, err = verify.Chain(trusted, files[1:], verify.Options{Now: tc.at, Strict: true})
			checkVerdict(t, res, err, false, verify.ErrKeyIDMismatch)

			// Now (zero Options.Now) the newest root has expired: every
			// step is checked, then the walk fails with the expiry.
			res, err = verify.Chain(trusted, files[1:], verify.Options{})
			checkVerdict(t, res, err, false, verify.ErrExpired)
			var ee *verify.ExpiredError
			if !errors.As(err, &ee) {
				t.Fatalf("want *ExpiredError, got %T %v", err, err)
			}
			if ee.Version != int64(tc.to) || !ee.Expires.Equal(tc.expires) || ee.Role != "root" {
				t.Fatalf("ExpiredError %+v, want root v%d expired %s", ee, tc.to, tc.expires)
			}
			if len(ee.Steps) != tc.to-tc.from+1 {
				t.Fatalf("ExpiredError lists %d steps, want all %d", len(ee.Steps), tc.to-tc.from+1)
			}
		})
	}
}

func warningVersions(ws []verify.Warning) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, w := range ws {
		if w.Code != "keyid-mismatch" {
			continue
		}
		if !seen[w.Version] {
			seen[w.Version] = true
			out = append(out, w.Version)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestRealChainTampered checks that the real chain fails when one step is
// dropped or altered.
func TestRealChainTampered(t *testing.T) {
	files := readChain(t, "prod", 1, 15)
	trusted := mustParse(t, files[0])
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	// Skip v8.
	skipped := append(append([][]byte{}, files[1:7]...), files[8:]...)
	_, err := verify.Chain(trusted, skipped, verify.Options{Now: at})
	if !errors.Is(err, verify.ErrVersion) {
		t.Fatalf("skipped version: got %v", err)
	}

	// Alter the expiry of v10 (same length, so only the signatures break).
	altered := append([][]byte{}, files[1:]...)
	v10 := append([]byte{}, altered[8]...)
	old := []byte("2025-02-19T08:04:32Z")
	i := indexOf(v10, old)
	if i < 0 {
		t.Fatalf("v10 expiry not found")
	}
	copy(v10[i:], "2035-02-19T08:04:32Z")
	altered[8] = v10
	_, err = verify.Chain(trusted, altered, verify.Options{Now: at})
	var te *verify.ThresholdError
	if !errors.As(err, &te) || te.Version != 10 {
		t.Fatalf("altered v10: got %v", err)
	}
}

func indexOf(b, sub []byte) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}
