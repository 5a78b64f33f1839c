package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBootstrapNeverOverwritesARepository: run twice on the same -out, or
// pointed at a published repository, bootstrap used to replace
// 1.root.json, the root clients already trust, and the rest of the
// repository with new keys. It must refuse and change nothing.
func TestBootstrapNeverOverwritesARepository(t *testing.T) {
	dir := t.TempDir()
	if err := run(context.Background(), []string{"-out", dir}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err := run(context.Background(), []string{"-out", dir}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "already holds a repository (1.root.json)") {
		t.Fatalf("second run: %v; want a refusal naming 1.root.json", err)
	}
	if after := tree(t, dir); !equalTrees(before, after) {
		t.Fatal("the refused run changed the repository")
	}

	// A repository whose root was removed but whose timestamp is there.
	if err := os.Remove(filepath.Join(dir, "1.root.json")); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"-out", dir}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "(timestamp.json)") {
		t.Fatalf("run over timestamp.json: %v; want a refusal naming it", err)
	}
}

func tree(t *testing.T, dir string) map[string]string {
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

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
