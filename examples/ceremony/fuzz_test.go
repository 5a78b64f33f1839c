package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// FuzzCeremonyVerify replaces one file of the demo's ceremony repository
// (policy, key files, any published metadata or target) with arbitrary
// bytes and runs verify -json, the loader every attendee runs on a pull
// request. It must not panic, must print one JSON object whose "verified"
// agrees with the exit status (and carries an "error" exactly when it is
// false), and must not change any file.
func FuzzCeremonyVerify(f *testing.F) {
	demoDir, _ := demoRun(f)
	template := cloneDir(f, demoDir)
	files := make([]string, 0, 64)
	for rel := range treeContents(f, template) {
		files = append(files, rel)
	}
	sort.Strings(files)
	seeds := 0
	for i, rel := range files {
		data, err := os.ReadFile(filepath.Join(template, filepath.FromSlash(rel)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), data)
		seeds++
	}
	if seeds == 0 {
		f.Fatal("the seed corpus is empty: the demo repository has no files")
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := cloneDir(t, template)
		rel := files[int(which)%len(files)]
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := treeContents(t, dir)
		tl := &tool{t: t, dir: dir, tokens: newFakeTokens()}
		r := tl.in("verify", "-json")
		if r.code != 0 && r.code != 1 {
			t.Fatalf("verify with %s replaced: %v", rel, r)
		}
		var rep verifyReport
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("verify -json with %s replaced printed no JSON: %v\n%v", rel, err, r)
		}
		if rep.Verified != (r.code == 0) {
			t.Fatalf("verified=%v but exit %d", rep.Verified, r.code)
		}
		if rep.Verified == (rep.Error != "") {
			t.Fatalf("verified=%v with error %q", rep.Verified, rep.Error)
		}
		after := treeContents(t, dir)
		if len(after) != len(before) {
			t.Fatalf("verify changed the number of files")
		}
		for p, c := range before {
			if after[p] != c {
				t.Fatalf("verify changed %s", p)
			}
		}
	})
}
