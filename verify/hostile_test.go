package verify_test

import (
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// The shapes of a hostile custom field: documents whose generic JSON tree
// costs far more memory than their text.
var hostileShapes = map[string]string{
	"objects":       `{"a":0}`,
	"empty-objects": `{}`,
	"numbers":       `0`,
	"strings":       `""`,
	"deep-arrays":   strings.Repeat("[", 60) + strings.Repeat("]", 60),
}

// hostileSigned returns the signed object of a valid file of type typ
// with a custom field of about size bytes made of shape.
func hostileSigned(typ, shape string, size int) string {
	// JSON, not canonical form: PEM keys hold newlines.
	json := func(v map[string]any) string { return string(cjson.Raw(gen.Canonical(v)).JSON()) }
	base := map[string]string{
		"root":      json(gen.Root(2, farAway, false, repoRoles())),
		"timestamp": json(gen.Timestamp(2, farAway, gen.Meta(1, nil))),
		"snapshot":  json(gen.Snapshot(1, farAway, map[string]any{"targets.json": gen.Meta(1, nil)})),
		"targets":   json(gen.Targets(1, farAway, map[string]any{}, nil)),
	}[typ]
	n := (size - len(base) - 1000) / (len(shape) + 1) // room for the envelope and signatures
	field := `"x-hostile":[` + strings.TrimSuffix(strings.Repeat(shape+",", n), ",") + `],`
	return "{" + field + base[1:]
}

// hostileFile wraps signed into a file, signed by signers.
func hostileFile(t testing.TB, signed string, signers ...*gen.Key) []byte {
	canon, err := cjson.Canonicalize([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	var sigs []string
	for _, k := range signers {
		sigs = append(sigs, fmt.Sprintf(`{"keyid":%q,"sig":%q}`, k.ID, hex.EncodeToString(k.Sign(canon))))
	}
	return []byte(`{"signatures":[` + strings.Join(sigs, ",") + `],"signed":` + signed + `}`)
}

// hostileCase is one role's hostile file and the call that reads it:
// prepare sets up what the check needs (unmeasured) and returns it.
type hostileCase struct {
	name    string
	file    []byte
	prepare func() func(data []byte) error
}

// hostileCases builds, for every role and shape, a file of about the
// role's size bound, unsigned and validly signed, with the verification
// a client makes of it.
func hostileCases(t testing.TB) []hostileCase {
	trusted := mustParse(t, defaultRepo().rootV1())
	opts := verify.Options{Now: t0}
	// A Repo ready for each step: the timestamp lists the snapshot, and
	// the snapshot the targets, by version only.
	ready := func(t testing.TB, upto string) *verify.Repo {
		b := defaultRepo()
		b.noMetaHashes = true
		fsys := b.build()
		r, err := verify.NewRepo(trusted, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		if upto == "timestamp" {
			return r
		}
		if err := r.UpdateTimestamp(fsys["timestamp.json"].Data); err != nil {
			t.Fatal(err)
		}
		if upto == "snapshot" {
			return r
		}
		if err := r.UpdateSnapshot(fsys["snapshot.json"].Data); err != nil {
			t.Fatal(err)
		}
		return r
	}
	roles := []struct {
		typ     string
		size    int
		signer  *gen.Key
		prepare func() func([]byte) error
	}{
		{"root", root.MaxRootSize, nil, func() func([]byte) error {
			return func(d []byte) error { _, err := verify.Chain(trusted, [][]byte{d}, opts); return err }
		}},
		{"timestamp", 16 << 10, tsKey, func() func([]byte) error { return ready(t, "timestamp").UpdateTimestamp }},
		{"snapshot", 2 << 20, snKey, func() func([]byte) error { return ready(t, "snapshot").UpdateSnapshot }},
		{"targets", 5 << 20, tgKey, func() func([]byte) error { return ready(t, "targets").UpdateTargets }},
	}
	var out []hostileCase
	for _, r := range roles {
		for _, shape := range []string{"objects", "empty-objects", "numbers", "strings", "deep-arrays"} {
			signed := hostileSigned(r.typ, hostileShapes[shape], r.size)
			signers := []*gen.Key{r.signer}
			if r.typ == "root" {
				signers = repoRootKeys
			}
			out = append(out,
				hostileCase{r.typ + "/" + shape + "/unsigned", hostileFile(t, signed), r.prepare},
				hostileCase{r.typ + "/" + shape + "/signed", hostileFile(t, signed, signers...), r.prepare},
			)
		}
	}
	return out
}

// allocated returns the bytes allocated by fn.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxAllocRatio bounds what reading a file may allocate, as a multiple of
// its size. The bound is generous on purpose (the measured ratios, which
// BenchmarkHostileMetadata reports and the README quotes, are far lower):
// it exists so a change that builds a tree of an untrusted file again
// fails here instead of passing unnoticed.
const maxAllocRatio = 32

// TestHostileMetadataMemory: every role's verification of a file as large
// as its bound, whatever its shape, signed or not, allocates at most
// maxAllocRatio times the file's size; an unsigned file fails its
// signature check and a signed one verifies.
func TestHostileMetadataMemory(t *testing.T) {
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var err error
			check := c.prepare()
			n := allocated(func() { err = check(c.file) })
			signed := strings.HasSuffix(c.name, "/signed")
			if signed && err != nil {
				t.Fatalf("a validly signed file was refused: %v", err)
			}
			if !signed && err == nil {
				t.Fatal("an unsigned file verified")
			}
			if ratio := float64(n) / float64(len(c.file)); ratio > maxAllocRatio {
				t.Fatalf("allocated %.1fx the file's %d bytes (bound %dx)", ratio, len(c.file), maxAllocRatio)
			}
		})
	}
}

// BenchmarkHostileMetadata reports, for each role and shape, what
// verifying a file as large as the role's bound allocates, as a multiple
// of the file's size (alloc/size).
func BenchmarkHostileMetadata(b *testing.B) {
	for _, c := range hostileCases(b) {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.file)))
			var total uint64
			for b.Loop() {
				b.StopTimer()
				check := c.prepare()
				b.StartTimer()
				total += allocated(func() { _ = check(c.file) })
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(len(c.file)), "alloc/size")
		})
	}
}
