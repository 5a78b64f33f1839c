package verify_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trustroot/trustroot/internal/gen"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// fuzzReplacements are the values a mutation puts in place of one value
// of a signed object: the wrong JSON types, the numbers that once sized
// allocations, and empty containers.
var fuzzReplacements = []any{
	nil, true, "", "x", int64(0), int64(-1), int64(1), int64(2),
	int64(4611686018427387904), int64(1099511627776), int64(9007199254740992), int64(9007199254740993),
	map[string]any{}, []any{}, []any{nil}, map[string]any{"x.json": nil},
	"../escape", "projects/*", strings.Repeat("a", 300),
}

// fuzzPaths lists the paths of every value in tree, in a fixed order.
func fuzzPaths(tree any, prefix []any, out *[][]any) {
	switch t := tree.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := append(slices.Clone(prefix), k)
			*out = append(*out, p)
			fuzzPaths(t[k], p, out)
		}
	case []any:
		for i, e := range t {
			p := append(slices.Clone(prefix), i)
			*out = append(*out, p)
			fuzzPaths(e, p, out)
		}
	}
}

func fuzzCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = fuzzCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = fuzzCopy(e)
		}
		return l
	}
	return v
}

// fuzzSet replaces the value at path in tree.
func fuzzSet(tree any, path []any, v any) {
	for i, step := range path {
		last := i == len(path)-1
		switch t := tree.(type) {
		case map[string]any:
			if last {
				t[step.(string)] = v
				return
			}
			tree = t[step.(string)]
		case []any:
			if last {
				t[step.(int)] = v
				return
			}
			tree = t[step.(int)]
		}
	}
}

// fuzzRepo builds a repository with two delegations, one nested, applies
// mutations to the signed objects (each three bytes: which file, which
// value, what replacement), and signs every file validly with its role's
// keys, so the verifier's checks past the signatures are what the fuzzer
// reaches.
func fuzzRepo(muts []byte, hashes bool) fstest.MapFS {
	x := map[string]any{"projects/x": gen.Target([]byte("project x"), map[string]any{"sigstore": map[string]any{"usage": "Fulcio", "status": "Active"}})}
	deleg := func(name string, paths []string, ks ...*gen.Key) gen.Delegated {
		return gen.Delegated{Name: name, Keys: ks, Threshold: 1, Paths: paths}
	}
	signed := []map[string]any{
		gen.Targets(1, farAway, map[string]any{"a/b": gen.Target([]byte("b"), nil)}, nil),                                                                             // b, under a
		gen.Targets(1, farAway, x, gen.Delegations(deleg("b", []string{"a/*"}, dKeyC))),                                                                               // a
		gen.Targets(1, farAway, map[string]any{"rekor.pub": gen.Target([]byte("rekor key"), nil)}, gen.Delegations(deleg("a", []string{"projects/*", "a/*"}, dKeyA))), // targets
	}
	names := []string{"b.json", "a.json", "targets.json"}
	signers := [][]*gen.Key{{dKeyC}, {dKeyA}, {tgKey}}
	mutate := func(file int, tree map[string]any) {
		for i := 0; i+2 < len(muts); i += 3 {
			if int(muts[i])%5 != file {
				continue
			}
			var paths [][]any
			fuzzPaths(tree, nil, &paths)
			if len(paths) == 0 {
				continue
			}
			// A fresh copy, so a later mutation cannot make a value hold
			// itself.
			fuzzSet(tree, paths[int(muts[i+1])%len(paths)], fuzzCopy(fuzzReplacements[int(muts[i+2])%len(fuzzReplacements)]))
		}
	}
	fsys := fstest.MapFS{"1.root.json": {Data: defaultRepo().rootV1()}}
	meta := map[string]any{}
	for i, s := range signed {
		// A copy: the generator shares the test keys' objects between
		// trees, and mutations must not reach them.
		s = fuzzCopy(s).(map[string]any)
		mutate(i, s)
		data := gen.Sign(s, signers[i]...)
		fsys[names[i]] = &fstest.MapFile{Data: data}
		var h []byte
		if hashes {
			h = data
		}
		meta[names[i]] = gen.Meta(1, h)
	}
	sn := gen.Snapshot(1, farAway, meta)
	mutate(3, sn)
	snData := gen.Sign(sn, snKey)
	fsys["snapshot.json"] = &fstest.MapFile{Data: snData}
	var h []byte
	if hashes {
		h = snData
	}
	ts := gen.Timestamp(1, farAway, gen.Meta(1, h))
	mutate(4, ts)
	fsys["timestamp.json"] = &fstest.MapFile{Data: gen.Sign(ts, tsKey)}
	return fsys
}

// FuzzRepository verifies generated, validly signed repositories whose
// signed objects the fuzzer mutates (roles, delegations, thresholds, meta
// entries). Whatever it does: no panic; a repository is returned with no
// error or an error with no repository, never a partially trusted one; a
// returned repository has a trusted root, timestamp, snapshot and targets;
// a target search returns a target that the role which lists it, and every
// delegation that led there, covers, or an error that says why; with
// workers, Repository returns exactly what it returns without
// (sameRepository).
func FuzzRepository(f *testing.F) {
	f.Add([]byte{}, true)
	f.Add([]byte{1, 10, 8}, false) // a delegated role's threshold, for one
	f.Add([]byte{2, 3, 14}, true)
	f.Add([]byte{3, 5, 14}, false) // a snapshot meta entry
	f.Add([]byte{4, 2, 0}, true)
	f.Add([]byte{2, 7, 9, 1, 4, 6}, false)
	trusted := mustParse(f, defaultRepo().rootV1())
	f.Fuzz(func(t *testing.T, muts []byte, hashes bool) {
		if len(muts) > 30 {
			muts = muts[:30]
		}
		fsys := fuzzRepo(muts, hashes)
		repo, err := sameRepository(t, trusted, fsys, nil, verify.Options{Now: t0})
		if (repo == nil) == (err == nil) {
			t.Fatalf("repository %v with error %v", repo, err)
		}
		if len(muts) < 3 {
			// Unmutated, the harness's repository verifies and its
			// delegated targets are found where they are delegated.
			if err != nil {
				t.Fatalf("the unmutated repository: %v", err)
			}
			load := verify.FSLoader(fsys)
			for name, role := range map[string]root.Role{"projects/x": "a", "a/b": "b", "rekor.pub": root.RoleTargets} {
				if tg, err := repo.Target(name, load); err != nil || tg.Role != role {
					t.Fatalf("unmutated: %s found in %q (%v), want %q", name, tg.Role, err, role)
				}
			}
		}
		if err != nil {
			return
		}
		top, ok := repo.Metadata(root.RoleTargets)
		if repo.Root() == nil || repo.Timestamp() == nil || repo.Snapshot() == nil || !ok || top == nil {
			t.Fatal("a verified repository lacks trusted metadata")
		}
		load := verify.FSLoader(fsys)
		for _, name := range []string{"projects/x", "a/b", "rekor.pub", "nope", "../escape"} {
			tg, err := repo.Target(name, load)
			if err != nil {
				if tg.Name != "" {
					t.Fatalf("target %q came with the error %v", name, err)
				}
				continue
			}
			if tg.Name != name {
				t.Fatalf("looked up %q, found %q", name, tg.Name)
			}
			if tg.Role != root.RoleTargets {
				m, ok := repo.Metadata(tg.Role)
				if !ok {
					t.Fatalf("target %q from role %s, which the repository does not trust", name, tg.Role)
				}
				if _, listed := m.Target(name); !listed {
					t.Fatalf("target %q attributed to %s, which does not list it", name, tg.Role)
				}
				if !covered(repo, tg.Role, name) {
					t.Fatalf("target %q from role %s, which no delegation covers for it", name, tg.Role)
				}
			}
		}
		all, err := repo.ListTargets(load)
		if err == nil {
			for _, tg := range all {
				if again, err := repo.Target(tg.Name, load); err != nil || again.Role != tg.Role {
					t.Fatalf("ListTargets gave %s from %s; Target gives %v, %v", tg.Name, tg.Role, again.Role, err)
				}
			}
		} else if errors.Is(err, verify.ErrTargetNotFound) {
			t.Fatalf("ListTargets failed with not-found: %v", err)
		}
		_ = fmt.Sprint(repo.State())
	})
}

// covered reports whether some trusted metadata delegates role with
// paths that match name.
func covered(repo *verify.Repo, role root.Role, name string) bool {
	for _, parent := range []root.Role{root.RoleTargets, "a", "b"} {
		m, ok := repo.Metadata(parent)
		if !ok {
			continue
		}
		for _, d := range m.Delegations() {
			if d.Name == role && d.Matches(name) {
				return true
			}
		}
	}
	return false
}
