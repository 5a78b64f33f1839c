package verify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// Options.Workers must never change a verdict: for every chain, the
// result (steps, keys counted, warnings, newest root) and the error
// (its text, its type and fields, the sentinels it wraps, and so which
// failure wins when several files are bad) must be those of the
// sequential walk. Chains have at least four new versions, so the
// parallel walk really runs (see minPoolSteps).

// rotating describes version v of a 3-of-5 chain that replaces one key
// per version, signed by its own keys and the key it retired.
type rotating struct {
	keys      []*gen.Key
	threshold int
	signers   []*gen.Key
	version   int64
	expires   time.Time
}

func rotatingVersion(kind string, v int) rotating {
	of := func(from, n int) []*gen.Key {
		out := make([]*gen.Key, n)
		for i := range out {
			out[i] = gen.Of(kind, from+i)
		}
		return out
	}
	r := rotating{keys: of(v, 5), threshold: 3, version: int64(v), expires: farAway}
	r.signers = r.keys
	if v > 1 {
		r.signers = of(v-1, 6)
	}
	return r
}

func (r rotating) file() []byte {
	signed := gen.Root(r.version, r.expires, false, gen.TopRoles(r.keys, r.threshold, online))
	return gen.Sign(signed, r.signers...)
}

// workersChain builds versions 1..n, letting edit change a version's
// description or its file (edit may return nil to keep the file).
func workersChain(kind string, n int, edit func(v int, r *rotating) []byte) [][]byte {
	files := make([][]byte, n)
	for v := 1; v <= n; v++ {
		r := rotatingVersion(kind, v)
		var f []byte
		if edit != nil {
			f = edit(v, &r)
		}
		if f == nil {
			f = r.file()
		}
		files[v-1] = f
	}
	return files
}

// flipSig returns file with the first signature's first hex digit
// changed: it no longer verifies.
func flipSig(file []byte) []byte {
	i := bytes.Index(file, []byte(`"sig": "`))
	if i < 0 {
		panic("no signature")
	}
	out := bytes.Clone(file)
	j := i + len(`"sig": "`)
	if out[j] == '0' {
		out[j] = '1'
	} else {
		out[j] = '0'
	}
	return out
}

// sameVerdict fails t unless the two walks agree exactly.
func sameVerdict(t *testing.T, label string, seq *verify.ChainResult, seqErr error, par *verify.ChainResult, parErr error) {
	t.Helper()
	if (seqErr == nil) != (parErr == nil) {
		t.Fatalf("%s: sequential error %v, parallel error %v", label, seqErr, parErr)
	}
	if seqErr != nil {
		if seqErr.Error() != parErr.Error() {
			t.Fatalf("%s: errors differ:\nsequential %v\nparallel   %v", label, seqErr, parErr)
		}
		if reflect.TypeOf(seqErr) != reflect.TypeOf(parErr) || !reflect.DeepEqual(seqErr, parErr) {
			t.Fatalf("%s: errors differ in type or fields: %#v and %#v", label, seqErr, parErr)
		}
		for _, s := range []error{verify.ErrThreshold, verify.ErrExpired, verify.ErrVersion, verify.ErrRollback, verify.ErrTooLarge, verify.ErrKeyIDMismatch, root.ErrMalformed} {
			if errors.Is(seqErr, s) != errors.Is(parErr, s) {
				t.Fatalf("%s: errors.Is(%v): sequential %v, parallel %v", label, s, errors.Is(seqErr, s), errors.Is(parErr, s))
			}
		}
		if seq != nil || par != nil {
			t.Fatalf("%s: a failed walk returned a result", label)
		}
		return
	}
	if !reflect.DeepEqual(seq.Steps, par.Steps) || !reflect.DeepEqual(seq.Warnings, par.Warnings) {
		t.Fatalf("%s: results differ:\nsequential %+v %+v\nparallel   %+v %+v", label, seq.Steps, seq.Warnings, par.Steps, par.Warnings)
	}
	if seq.Root.Version() != par.Root.Version() || !bytes.Equal(seq.Root.SigningPayload(), par.Root.SigningPayload()) {
		t.Fatalf("%s: newest roots differ: v%d and v%d", label, seq.Root.Version(), par.Root.Version())
	}
}

// compareWorkers walks files from their first version sequentially and
// with 2, 3 and 8 workers, and fails t on any difference. It returns the
// sequential verdict.
func compareWorkers(t *testing.T, files [][]byte, opts verify.Options) (*verify.ChainResult, error) {
	t.Helper()
	trusted, err := root.Parse(files[0])
	if err != nil {
		t.Fatalf("the trusted root does not parse: %v", err)
	}
	opts.Workers = 0
	seq, seqErr := verify.Chain(trusted, files[1:], opts)
	for _, w := range []int{2, 3, 8} {
		opts.Workers = w
		par, parErr := verify.Chain(trusted, files[1:], opts)
		sameVerdict(t, fmt.Sprintf("%d workers", w), seq, seqErr, par, parErr)
	}
	return seq, seqErr
}

func TestWorkersSameVerdict(t *testing.T) {
	retiredAndTwo := func(v int, r *rotating) {
		// The retired key and two shared ones: the previous
		// threshold is met, the new root's own is not (2 of 3).
		prev := rotatingVersion("ed25519", v-1)
		r.signers = []*gen.Key{prev.keys[0], r.keys[0], r.keys[1]}
	}
	cases := []struct {
		name string
		kind string
		n    int
		opts verify.Options
		edit func(v int, r *rotating) []byte
		want error // nil: the chain verifies
	}{
		{name: "ed25519, 12 versions", kind: "ed25519", n: 12},
		{name: "ecdsa, 12 versions", kind: "ecdsa", n: 12},
		{name: "ed25519, 40 versions", kind: "ed25519", n: 40},
		{name: "own threshold missed at v6", kind: "ed25519", n: 12, want: verify.ErrThreshold,
			edit: func(v int, r *rotating) []byte {
				if v == 6 {
					retiredAndTwo(v, r)
				}
				return nil
			}},
		{name: "previous threshold missed at v7", kind: "ed25519", n: 12, want: verify.ErrThreshold,
			edit: func(v int, r *rotating) []byte {
				if v == 7 {
					r.signers = r.keys[2:]
				}
				return nil
			}},
		{name: "own threshold missed at v6 and v7 malformed: v6's error wins", kind: "ed25519", n: 12, want: verify.ErrThreshold,
			edit: func(v int, r *rotating) []byte {
				switch v {
				case 6:
					retiredAndTwo(v, r)
				case 7:
					return []byte(`{"signed": {`)
				}
				return nil
			}},
		{name: "own threshold missed at v6, v7 signed by nobody", kind: "ecdsa", n: 12, want: verify.ErrThreshold,
			edit: func(v int, r *rotating) []byte {
				switch v {
				case 6:
					prev := rotatingVersion("ecdsa", v-1)
					r.signers = []*gen.Key{prev.keys[0], r.keys[0], r.keys[1]}
				case 7:
					r.signers = nil
				}
				return nil
			}},
		{name: "a bad signature the walk skips", kind: "ed25519", n: 12,
			edit: func(v int, r *rotating) []byte {
				if v%3 == 0 {
					return flipSig(r.file())
				}
				return nil
			}},
		{name: "bad signatures everywhere but enough good ones", kind: "ecdsa", n: 10,
			edit: func(v int, r *rotating) []byte {
				if v > 1 {
					return flipSig(flipSig(r.file()))
				}
				return nil
			}},
		{name: "version skipped at v5", kind: "ed25519", n: 12, want: verify.ErrVersion,
			edit: func(v int, r *rotating) []byte {
				if v == 5 {
					r.version = 6
				}
				return nil
			}},
		{name: "rollback at v9", kind: "ed25519", n: 12, want: verify.ErrRollback,
			edit: func(v int, r *rotating) []byte {
				if v == 9 {
					r.version = 3
				}
				return nil
			}},
		{name: "malformed v10", kind: "ed25519", n: 12, want: root.ErrMalformed,
			edit: func(v int, r *rotating) []byte {
				if v == 10 {
					return append(r.file(), "trailing"...)
				}
				return nil
			}},
		{name: "newest root expired", kind: "ed25519", n: 8, want: verify.ErrExpired,
			edit: func(v int, r *rotating) []byte {
				if v == 8 {
					r.expires = t0.Add(-time.Hour)
				}
				return nil
			}},
		{name: "an intermediate root expired", kind: "ed25519", n: 8,
			edit: func(v int, r *rotating) []byte {
				if v == 4 {
					r.expires = t0.Add(-time.Hour)
				}
				return nil
			}},
		{name: "key ID mismatch warned", kind: "ed25519", n: 8,
			edit: func(v int, r *rotating) []byte {
				if v == 5 {
					r.keys[4] = r.keys[4].WithID(sha256Hex("not the key"))
				}
				return nil
			}},
		{name: "key ID mismatch, strict", kind: "ed25519", n: 8, opts: verify.Options{Strict: true}, want: verify.ErrKeyIDMismatch,
			edit: func(v int, r *rotating) []byte {
				if v == 5 {
					r.keys[4] = r.keys[4].WithID(sha256Hex("not the key"))
				}
				return nil
			}},
		{name: "one key under two IDs counts once", kind: "ed25519", n: 8, want: verify.ErrThreshold,
			edit: func(v int, r *rotating) []byte {
				if v == 4 {
					alias := r.keys[0].With("x-alias", "a")
					r.keys = []*gen.Key{r.keys[0], alias, r.keys[1], r.keys[2], r.keys[3]}
					// The previous threshold is met; the own one
					// counts the key and its alias once: 2 of 3.
					prev := rotatingVersion("ed25519", v-1)
					r.signers = []*gen.Key{prev.keys[0], r.keys[0], alias, r.keys[2]}
				}
				return nil
			}},
		{name: "too many versions", kind: "ed25519", n: 10, opts: verify.Options{MaxRootSteps: 5}, want: verify.ErrTooLarge},
		{name: "file over the size limit", kind: "ed25519", n: 8, opts: verify.Options{Limits: verify.Limits{Root: 3000}}, want: verify.ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := workersChain(c.kind, c.n, c.edit)
			opts := c.opts
			opts.Now = t0
			res, err := compareWorkers(t, files, opts)
			// The case must test what it says.
			if c.want == nil && err != nil {
				t.Fatalf("the chain does not verify: %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want one wrapping %v", err, c.want)
			}
			if err == nil && res.Root.Version() != int64(c.n) {
				t.Fatalf("the walk ended at v%d, want v%d", res.Root.Version(), c.n)
			}
		})
	}
}

// FuzzWorkersSameVerdict edits a 10-version chain as the fuzzer says (a
// byte of a file changed, a file dropped, repeated or swapped with the
// next, a signature spoiled) and requires the parallel walk to agree with
// the sequential one.
func FuzzWorkersSameVerdict(f *testing.F) {
	base := workersChain("ed25519", 10, nil)
	f.Add([]byte{})
	f.Add([]byte{0, 3, 0, 40, '{'})
	f.Add([]byte{1, 5, 0, 0, 0})
	f.Add([]byte{2, 4, 0, 0, 0})
	f.Add([]byte{3, 6, 0, 0, 0})
	f.Add([]byte{4, 2, 0, 0, 0, 4, 7, 0, 0, 0})
	f.Add([]byte{0, 8, 1, 200, 'x', 4, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		files := make([][]byte, len(base))
		for i := range base {
			files[i] = bytes.Clone(base[i])
		}
		// Each op is five bytes: kind, file, position (two bytes), value.
		for len(ops) >= 5 {
			kind, i, pos, val := ops[0]%5, 1+int(ops[1])%(len(files)-1), int(ops[2])<<8|int(ops[3]), ops[4]
			ops = ops[5:]
			if i >= len(files) {
				continue
			}
			switch kind {
			case 0:
				files[i][pos%len(files[i])] = val
			case 1:
				files = append(files[:i], files[i+1:]...)
			case 2:
				files = append(files[:i+1], files[i:]...)
			case 3:
				if i+1 < len(files) {
					files[i], files[i+1] = files[i+1], files[i]
				}
			case 4:
				if bytes.Contains(files[i], []byte(`"sig": "`)) {
					files[i] = flipSig(files[i])
				}
			}
			if len(files) < 2 {
				return
			}
		}
		compareWorkers(t, files, verify.Options{Now: t0})
	})
}

// sameRepository runs Repository sequentially and with 2 and 4 workers and
// fails t unless they agree exactly: the error (text, type, fields,
// sentinels), or the state, the chain, the trusted versions and a target
// lookup. It returns the sequential result.
func sameRepository(t *testing.T, trusted *root.Root, fsys fs.FS, prev *verify.State, opts verify.Options) (*verify.Repo, error) {
	t.Helper()
	opts.Workers = 0
	seq, seqErr := verify.Repository(trusted, fsys, prev, opts)
	for _, w := range []int{2, 4} {
		opts.Workers = w
		par, parErr := verify.Repository(trusted, fsys, prev, opts)
		if (seqErr == nil) != (parErr == nil) || seqErr != nil && (seqErr.Error() != parErr.Error() || !reflect.DeepEqual(seqErr, parErr)) {
			t.Fatalf("%d workers: error %v, sequential %v", w, parErr, seqErr)
		}
		if seqErr != nil {
			for _, s := range []error{verify.ErrThreshold, verify.ErrExpired, verify.ErrVersion, verify.ErrRollback, verify.ErrTooLarge, verify.ErrMissing, root.ErrMalformed, repository.ErrHashMismatch, repository.ErrLengthMismatch} {
				if errors.Is(seqErr, s) != errors.Is(parErr, s) {
					t.Fatalf("%d workers: errors.Is(%v): sequential %v, parallel %v", w, s, errors.Is(seqErr, s), errors.Is(parErr, s))
				}
			}
			if par != nil {
				t.Fatalf("%d workers: a failed refresh returned a Repo", w)
			}
			continue
		}
		if !reflect.DeepEqual(seq.State(), par.State()) || !reflect.DeepEqual(seq.Chain().Steps, par.Chain().Steps) || !reflect.DeepEqual(seq.Chain().Warnings, par.Chain().Warnings) {
			t.Fatalf("%d workers: state or chain differ", w)
		}
		seqTg, _ := seq.Metadata(root.RoleTargets)
		parTg, _ := par.Metadata(root.RoleTargets)
		if seq.Timestamp().Version() != par.Timestamp().Version() || seq.TimestampUnchanged() != par.TimestampUnchanged() ||
			seq.Snapshot().Version() != par.Snapshot().Version() || seqTg.Version() != parTg.Version() || !reflect.DeepEqual(seqTg.Targets(), parTg.Targets()) {
			t.Fatalf("%d workers: trusted metadata differ", w)
		}
		// The Repo goes on method by method, its workers gone.
		load := verify.FSLoader(fsys)
		st, sErr := seq.Target("fulcio.crt.pem", load)
		pt, pErr := par.Target("fulcio.crt.pem", load)
		if !reflect.DeepEqual(st, pt) || fmt.Sprint(sErr) != fmt.Sprint(pErr) {
			t.Fatalf("%d workers: lookup %+v, %v; sequential %+v, %v", w, pt, pErr, st, sErr)
		}
	}
	return seq, seqErr
}

// TestWorkersSameRepository: Repository with workers (which reads each
// root file while the previous one's own threshold is counted, and the
// timestamp, snapshot and targets while the newest root's is) returns
// what the file-by-file walk returns, whatever the root files hold.
func TestWorkersSameRepository(t *testing.T) {
	const n = 9
	roles := func(v int) map[string]gen.Role {
		r := repoRoles()
		r["root"] = gen.Role{Keys: keys(v, v+1, v+2), Threshold: 2}
		return r
	}
	rootV := func(v int, signers ...*gen.Key) []byte {
		return gen.Sign(gen.Root(int64(v), farAway, false, roles(v)), signers...)
	}
	good := func(v int) []byte { return rootV(v, keys(v-1, v, v+1, v+2)...) }
	cases := []struct {
		name string
		edit func(fsys fstest.MapFS)
		want error
	}{
		{name: "nine versions", want: nil},
		{name: "own threshold missed at v5", want: verify.ErrThreshold, edit: func(fsys fstest.MapFS) {
			fsys["5.root.json"] = &fstest.MapFile{Data: rootV(5, keys(4, 5)...)}
		}},
		{name: "own threshold missed at v9, the newest", want: verify.ErrThreshold, edit: func(fsys fstest.MapFS) {
			fsys["9.root.json"] = &fstest.MapFile{Data: rootV(9, keys(8, 9)...)}
		}},
		{name: "v5 not signed by v4's keys, v6 malformed", want: verify.ErrThreshold, edit: func(fsys fstest.MapFS) {
			fsys["5.root.json"] = &fstest.MapFile{Data: rootV(5, keys(7, 8, 9)...)}
			fsys["6.root.json"] = &fstest.MapFile{Data: []byte("{")}
		}},
		{name: "v4 malformed", want: root.ErrMalformed, edit: func(fsys fstest.MapFS) {
			fsys["4.root.json"] = &fstest.MapFile{Data: []byte(`{"signed": 1, "signatures": []}`)}
		}},
		{name: "gap after v6", edit: func(fsys fstest.MapFS) {
			delete(fsys, "7.root.json")
		}},
		{name: "v2 missing", edit: func(fsys fstest.MapFS) {
			for v := 2; v <= n; v++ {
				delete(fsys, fmt.Sprintf("%d.root.json", v))
			}
		}},
		{name: "v2 unreadable", want: fs.ErrInvalid, edit: func(fsys fstest.MapFS) {
			fsys["2.root.json"] = &fstest.MapFile{Mode: fs.ModeDir}
		}},
		{name: "v7 unreadable", want: fs.ErrInvalid, edit: func(fsys fstest.MapFS) {
			fsys["7.root.json"] = &fstest.MapFile{Mode: fs.ModeDir}
		}},
		{name: "v6 own threshold missed and v7 unreadable", want: verify.ErrThreshold, edit: func(fsys fstest.MapFS) {
			fsys["6.root.json"] = &fstest.MapFile{Data: rootV(6, keys(5, 6)...)}
			fsys["7.root.json"] = &fstest.MapFile{Mode: fs.ModeDir}
		}},
		{name: "v3 is v4", want: verify.ErrVersion, edit: func(fsys fstest.MapFS) {
			fsys["3.root.json"] = &fstest.MapFile{Data: good(4)}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := defaultRepo()
			b.rootSigners = keys(1, 2)
			fsys := b.build()
			// Replace the default root with the rotating chain.
			fsys["1.root.json"] = &fstest.MapFile{Data: rootV(1, keys(1, 2, 3)...)}
			for v := 2; v <= n; v++ {
				fsys[fmt.Sprintf("%d.root.json", v)] = &fstest.MapFile{Data: good(v)}
			}
			if c.edit != nil {
				c.edit(fsys)
			}
			trusted := mustParse(t, fsys["1.root.json"].Data)
			_, err := sameRepository(t, trusted, fsys, nil, verify.Options{Now: t0})
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("sequential refresh: %v, want %v", err, c.want)
			}
		})
	}
	t.Run("files", testWorkersSameRepositoryFiles)
}

// errAny stands for any error in a test table.
var errAny = errors.New("any error")

// testWorkersSameRepositoryFiles: Repository with workers verifies the
// timestamp, snapshot and targets as the file-by-file update does
// (sameRepository), whatever they hold, also when the files read ahead
// of the walk's end are not the ones the update verifies, or are checked
// against keys the update does not trust. Each case runs with and without
// consistent snapshots, and with no new root and with two.
func testWorkersSameRepositoryFiles(t *testing.T) {
	past := t0.Add(-time.Hour)
	newTS, newSn, newTg := gen.Ed25519(70), gen.Ed25519(71), gen.ECDSA(72)
	snName := func(b repoBuild) string {
		if b.consistent {
			return fmt.Sprintf("%d.snapshot.json", b.snVersion)
		}
		return "snapshot.json"
	}
	tgName := func(b repoBuild) string {
		if b.consistent {
			return fmt.Sprintf("%d.targets.json", b.tgVersion)
		}
		return "targets.json"
	}
	many := map[string]any{}
	for i := range 700 {
		many[fmt.Sprintf("file-%04d", i)] = gen.Target(fmt.Appendf(nil, "content %d", i), map[string]any{"n": i})
	}
	type files struct {
		name   string
		mod    func(b *repoBuild)
		roles  func(r map[string]gen.Role) // the newest root's roles
		newest func(n *newestRoot)         // the newest root's file
		tamper func(b repoBuild, fsys fstest.MapFS)
		prev   func(b *repoBuild)                                      // the previous update's repository
		edit   func(t *testing.T, st *verify.State, fsys fstest.MapFS) // of the previous state; fsys is the case's
		opts   verify.Options
		want   error // nil: verifies; errAny: fails
	}
	cases := []files{
		{name: "verifies"},
		{name: "newer versions, with a previous state", mod: func(b *repoBuild) { b.tsVersion, b.snVersion, b.tgVersion = 2, 3, 4 }, prev: func(*repoBuild) {}},
		{name: "same versions as the previous state", prev: func(*repoBuild) {}},
		{name: "timestamp signed by the snapshot key", mod: func(b *repoBuild) { b.tsSigners = []*gen.Key{snKey} }, want: verify.ErrThreshold},
		{name: "snapshot signed by the targets key", mod: func(b *repoBuild) { b.snSigners = []*gen.Key{tgKey} }, want: verify.ErrThreshold},
		{name: "targets signed by the timestamp key", mod: func(b *repoBuild) { b.tgSigners = []*gen.Key{tsKey} }, want: verify.ErrThreshold},
		{name: "timestamp signed by both keys, one bad", mod: func(b *repoBuild) { b.tsSigners = []*gen.Key{snKey, tsKey} }},
		{name: "timestamp key rotated, timestamp signed by the old key", want: verify.ErrThreshold,
			roles: func(r map[string]gen.Role) { r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1} }},
		{name: "timestamp key rotated, timestamp signed by the new key",
			roles: func(r map[string]gen.Role) { r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1} },
			mod:   func(b *repoBuild) { b.tsSigners = []*gen.Key{newTS} }},
		{name: "timestamp key replaced under the same key ID", want: verify.ErrThreshold,
			roles: func(r map[string]gen.Role) {
				r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS.WithID(tsKey.ID)}, Threshold: 1}
			}},
		{name: "timestamp key rotated, previous state signed by the old key", want: verify.ErrThreshold, prev: func(*repoBuild) {},
			roles: func(r map[string]gen.Role) { r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1} }},
		{name: "all online keys rotated, files signed by the new keys", prev: func(*repoBuild) {},
			mod: func(b *repoBuild) {
				b.tsVersion, b.snVersion, b.tgVersion = 2, 2, 2
				b.tsSigners, b.snSigners, b.tgSigners = []*gen.Key{newTS}, []*gen.Key{newSn}, []*gen.Key{newTg}
			},
			roles: func(r map[string]gen.Role) {
				r["timestamp"] = gen.Role{Keys: []*gen.Key{newTS}, Threshold: 1}
				r["snapshot"] = gen.Role{Keys: []*gen.Key{newSn}, Threshold: 1}
				r["targets"] = gen.Role{Keys: []*gen.Key{newTg}, Threshold: 1}
			}},
		{name: "targets threshold 2 of 2", mod: func(b *repoBuild) { b.tgSigners = []*gen.Key{newTg, tgKey} },
			roles: func(r map[string]gen.Role) { r["targets"] = gen.Role{Keys: []*gen.Key{tgKey, newTg}, Threshold: 2} }},
		{name: "newest root expired", want: verify.ErrExpired, newest: func(n *newestRoot) { n.expires = past }},
		{name: "newest root misses its own threshold", want: verify.ErrThreshold, newest: func(n *newestRoot) { n.signers = repoRootKeys[:1] }},
		{name: "timestamp rollback", want: verify.ErrRollback, prev: func(b *repoBuild) { b.tsVersion = 2 }},
		{name: "the previous timestamp carries the timestamp's signature over other bytes", prev: func(b *repoBuild) { b.tsVersion = 2 },
			edit: func(t *testing.T, st *verify.State, fsys fstest.MapFS) {
				// Not a rollback floor: it does not verify.
				st.Timestamp = withSignatures(t, st.Timestamp, fsys["timestamp.json"].Data)
			}},
		{name: "the timestamp names an older snapshot", want: verify.ErrRollback, mod: func(b *repoBuild) { b.tsVersion = 3 },
			prev: func(b *repoBuild) { b.tsVersion, b.snVersion = 2, 2 }},
		{name: "targets rollback", want: verify.ErrRollback, mod: func(b *repoBuild) { b.tsVersion, b.snVersion = 3, 3 },
			prev: func(b *repoBuild) { b.tsVersion, b.snVersion, b.tgVersion = 2, 2, 3 }},
		{name: "timestamp missing", want: verify.ErrMissing, tamper: func(_ repoBuild, f fstest.MapFS) { delete(f, "timestamp.json") }},
		{name: "snapshot missing", want: verify.ErrMissing, tamper: func(b repoBuild, f fstest.MapFS) { delete(f, snName(b)) }},
		{name: "targets missing", want: verify.ErrMissing, tamper: func(b repoBuild, f fstest.MapFS) { delete(f, tgName(b)) }},
		{name: "timestamp over the size limit", want: verify.ErrTooLarge, opts: verify.Options{Limits: verify.Limits{Timestamp: 100}}},
		{name: "snapshot over the size limit", want: verify.ErrTooLarge, opts: verify.Options{Limits: verify.Limits{Snapshot: 100}}},
		{name: "targets over the size limit", want: verify.ErrTooLarge, opts: verify.Options{Limits: verify.Limits{Targets: 100}}},
		{name: "targets larger than a speculation reads", mod: func(b *repoBuild) { b.targets = many }},
		{name: "timestamp expired", want: verify.ErrExpired, mod: func(b *repoBuild) { b.tsExpires = past }},
		{name: "snapshot expired", want: verify.ErrExpired, mod: func(b *repoBuild) { b.snExpires = past }},
		{name: "targets expired", want: verify.ErrExpired, mod: func(b *repoBuild) { b.tgExpires = past }},
		{name: "the snapshot does not match the timestamp's hashes", want: repository.ErrHashMismatch,
			tamper: func(b repoBuild, f fstest.MapFS) {
				b.snExpires = farAway.Add(time.Hour)
				f[snName(b)] = b.build()[snName(b)]
			}},
		{name: "the targets do not match the snapshot's hashes", want: repository.ErrHashMismatch,
			tamper: func(b repoBuild, f fstest.MapFS) {
				// Another targets file, as long (ECDSA signatures
				// vary in length), validly signed.
				for h := 1; h < 100; h++ {
					b.tgExpires = farAway.Add(time.Duration(h) * time.Hour)
					if other := b.build()[tgName(b)]; len(other.Data) == len(f[tgName(b)].Data) {
						f[tgName(b)] = other
						return
					}
				}
				panic("no targets file of the same length")
			}},
		{name: "timestamp names another snapshot version", want: errAny, mod: func(b *repoBuild) { b.tsSnVersion = 2; b.noMetaHashes = true }},
		{name: "snapshot names another targets version", want: errAny, mod: func(b *repoBuild) { b.snapTgVersion = 2; b.noMetaHashes = true }},
		{name: "timestamp malformed", want: root.ErrMalformed, tamper: func(_ repoBuild, f fstest.MapFS) { f["timestamp.json"] = &fstest.MapFile{Data: []byte("[]")} }},
		{name: "snapshot malformed", want: root.ErrMalformed, mod: func(b *repoBuild) { b.noMetaHashes = true },
			tamper: func(b repoBuild, f fstest.MapFS) { f[snName(b)] = &fstest.MapFile{Data: []byte(`{"signed": {}}`)} }},
		{name: "targets unreadable", want: fs.ErrInvalid, tamper: func(b repoBuild, f fstest.MapFS) { f[tgName(b)] = &fstest.MapFile{Mode: fs.ModeDir} }},
	}
	for _, c := range cases {
		for _, consistent := range []bool{false, true} {
			for _, newRoots := range []int{0, 2} {
				t.Run(fmt.Sprintf("%s, consistent %v, %d new roots", c.name, consistent, newRoots), func(t *testing.T) {
					build := func(mod func(b *repoBuild)) (*root.Root, fstest.MapFS, repoBuild) {
						b := defaultRepo()
						b.consistent = consistent
						if mod != nil {
							mod(&b)
						}
						fsys := b.build()
						n := newestRoot{version: int64(1 + newRoots), expires: farAway, roles: repoRoles(), signers: repoRootKeys[:2]}
						if c.roles != nil {
							c.roles(n.roles)
						}
						if c.newest != nil {
							c.newest(&n)
						}
						v1 := b.rootV1()
						if newRoots > 0 {
							fsys["2.root.json"] = &fstest.MapFile{Data: gen.Sign(gen.Root(2, farAway, consistent, repoRoles()), repoRootKeys...)}
							fsys[fmt.Sprintf("%d.root.json", n.version)] = &fstest.MapFile{Data: n.file(consistent)}
						} else {
							v1 = n.file(consistent)
							fsys["1.root.json"] = &fstest.MapFile{Data: v1}
						}
						return mustParse(t, v1), fsys, b
					}
					trusted, fsys, b := build(c.mod)
					if c.tamper != nil {
						c.tamper(b, fsys)
					}
					var prev *verify.State
					if c.prev != nil {
						// The previous update, under root v1 as the
						// case has it, and with the online keys of
						// the repository's v1.
						pTrusted, pFsys, _ := build(c.prev)
						if c.roles != nil {
							pTrusted = mustParse(t, b.rootV1())
							pFsys["1.root.json"] = &fstest.MapFile{Data: b.rootV1()}
							delete(pFsys, "2.root.json")
							delete(pFsys, "3.root.json")
						}
						r, err := verify.Repository(pTrusted, pFsys, nil, verify.Options{Now: t0})
						if err != nil {
							t.Fatalf("the previous update: %v", err)
						}
						st := r.State()
						if c.roles != nil {
							// Its timestamp and snapshot, not its
							// root v1, which is not the case's.
							st.Root = nil
						}
						if c.edit != nil {
							c.edit(t, &st, fsys)
						}
						prev = &st
					}
					opts := c.opts
					opts.Now = t0
					_, err := sameRepository(t, trusted, fsys, prev, opts)
					switch {
					case c.want == nil && err != nil:
						t.Fatalf("the update failed: %v", err)
					case c.want == errAny && err == nil, c.want != nil && c.want != errAny && !errors.Is(err, c.want):
						t.Fatalf("the update: %v, want %v", err, c.want)
					}
				})
			}
		}
	}
}

// newestRoot describes the newest root file of a test repository.
type newestRoot struct {
	version int64
	expires time.Time
	roles   map[string]gen.Role
	signers []*gen.Key
}

func (n newestRoot) file(consistent bool) []byte {
	return gen.Sign(gen.Root(n.version, n.expires, consistent, n.roles), n.signers...)
}

// withSignatures returns the metadata file data with the signatures of
// the file from.
func withSignatures(t *testing.T, data, from []byte) []byte {
	t.Helper()
	var env, src map[string]json.RawMessage
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(from, &src); err != nil {
		t.Fatal(err)
	}
	env["signatures"] = src["signatures"]
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
