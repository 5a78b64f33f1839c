package main

// Hardening: a fuzzer for the ceremony repository loader. A ceremony
// repository lives in git and arrives through pull requests, so every file
// in it is untrusted input. The fuzzer replaces one file of a real
// repository (policy, key file, staged root, signature file) with
// arbitrary bytes and runs the read-only status command: it must not
// panic, must exit 0 or 1 with a message, and must not change any file.

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer/fake"
)

// loaderTemplate builds a ceremony with three holders, staged v1 and one
// signature, and returns its directory and its files (relative paths).
//
// Building it takes long under the fuzzer's instrumentation (fake tokens
// derive keys and attestation certificates), so the process that builds it
// names it in loaderTemplateEnv and the fuzzing workers it starts reuse it.
func loaderTemplate(f *testing.F) (string, []string) {
	if dir := os.Getenv(loaderTemplateEnv); dir != "" {
		if files := treeFiles(f, dir); len(files) > 0 {
			return dir, files
		}
	}
	dir, err := os.MkdirTemp("", "ceremony-loader-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = os.RemoveAll(dir) })
	tl := &tool{dir: dir, tokens: newFakeTokens(), pin: fake.DefaultPIN}
	for _, args := range [][]string{
		{"init", "-name", "fuzz", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", "fake"},
		{"enroll", "-holder", "alice", "-token", "fake"},
		{"enroll", "-holder", "bob", "-token", "fake"},
		{"enroll", "-holder", "carol", "-token", "fake"},
		{"stage"},
		{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"},
	} {
		if r := tl.in(args...); r.code != 0 {
			f.Fatalf("ceremony %s: %v", strings.Join(args, " "), r)
		}
	}
	f.Setenv(loaderTemplateEnv, dir)
	return dir, treeFiles(f, dir)
}

const loaderTemplateEnv = "TRUSTROOT_TEST_LOADER_TEMPLATE"

// treeFiles lists the files under dir, relative to it, sorted.
func treeFiles(f *testing.F, dir string) []string {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, rel)
		return err
	})
	if err != nil {
		return nil
	}
	sort.Strings(files)
	return files
}

func fuzzCopyTree(t *testing.T, from, to string, files []string) {
	t.Helper()
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(from, rel))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		m[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func FuzzRepositoryLoader(f *testing.F) {
	template, files := loaderTemplate(f)
	if len(files) < 5 {
		f.Fatalf("the template repository has %d files: %v", len(files), files)
	}
	original := map[string][]byte{}
	for i, rel := range files {
		data, err := os.ReadFile(filepath.Join(template, rel))
		if err != nil {
			f.Fatal(err)
		}
		original[rel] = data
		f.Add(uint8(i), data)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := t.TempDir()
		fuzzCopyTree(t, template, dir, files)
		rel := files[int(which)%len(files)]
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshotTree(t, dir)
		tl := &tool{dir: dir, tokens: newFakeTokens(), pin: fake.DefaultPIN}
		for _, args := range [][]string{{"status"}, {"status", "-format", "json"}} {
			r := tl.in(args...)
			if bytes.Equal(data, original[rel]) && r.code != 0 {
				t.Fatalf("ceremony %v on the unmodified repository: %v", args, r)
			}
			switch r.code {
			case 0:
			case 1:
				if !strings.HasPrefix(r.stderr, "ceremony ") {
					t.Errorf("ceremony %v failed without a message: %v", args, r)
				}
			default:
				t.Errorf("ceremony %v: %v", args, r)
			}
		}
		after := snapshotTree(t, dir)
		if len(after) != len(before) {
			t.Errorf("status changed the number of files: %d -> %d", len(before), len(after))
		}
		for p, content := range before {
			if after[p] != content {
				t.Errorf("status changed %s", p)
			}
		}
	})
}
