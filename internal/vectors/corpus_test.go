// The module's go line (1.25) would select cryptocustomrand=1, under which
// crypto randomly reads an extra byte and cryptotest.SetGlobalRandom no
// longer makes keys and signatures reproducible. The generator needs Go
// 1.26's behaviour.

//go:debug cryptocustomrand=0

package vectors

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"testing/cryptotest"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from the generator")

// manifest returns a case's case.json bytes.
func manifest(t *testing.T, c Case) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCorpusUpToDate regenerates the corpus in memory and checks that the
// committed files are exactly what the generator writes; with -update it
// rewrites testdata/vectors instead.
func TestCorpusUpToDate(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 20261125) // deterministic ECDSA, RSA-PSS and RSA keys
	gen := generate(t)
	dir := CorpusDir()
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for name, gc := range gen {
			cd := filepath.Join(dir, name)
			if err := os.MkdirAll(cd, 0o755); err != nil {
				t.Fatal(err)
			}
			gc.files["case.json"] = manifest(t, gc.c)
			for fn, data := range gc.files {
				if err := os.WriteFile(filepath.Join(cd, fn), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Logf("wrote %d cases to %s", len(gen), dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("corpus missing (run go test ./internal/vectors -update): %v", err)
	}
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	var want []string
	for name := range gen {
		want = append(want, name)
	}
	sort.Strings(want)
	if !equalStrings(onDisk, want) {
		t.Fatalf("corpus cases differ from the generator's (run go test ./internal/vectors -update)\non disk: %v\ngenerated: %v", onDisk, want)
	}
	for _, name := range want {
		gc := gen[name]
		files := map[string][]byte{"case.json": manifest(t, gc.c)}
		for fn, data := range gc.files {
			files[fn] = data
		}
		cd := filepath.Join(dir, name)
		des, err := os.ReadDir(cd)
		if err != nil {
			t.Fatal(err)
		}
		if len(des) != len(files) {
			t.Errorf("%s: %d files on disk, generator writes %d", name, len(des), len(files))
		}
		for fn, data := range files {
			got, err := os.ReadFile(filepath.Join(cd, fn))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%s/%s differs from the generator's output (run go test ./internal/vectors -update)", name, fn)
			}
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLoadCorpus checks every manifest: a known verdict, a reason, a go-tuf
// judgement with its reason, and files that exist.
func TestLoadCorpus(t *testing.T) {
	cases, err := Load(CorpusDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases in the corpus", len(cases))
	}
}
