package verify_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkFirstWalk measures the first walk in a new process: every
// iteration starts a program and waits for it to exit, so process start,
// package initialisation and cold caches are all counted.
//
//   - walk: internal/freshproc/walk, which links package verify, reads the
//     chain's files and walks them (root.Parse + verify.Chain);
//   - walk-workers2: the same with Options.Workers = 2;
//   - floor-t1: internal/freshproc/floor, which links the standard
//     library's signature code only, reads the T+1 floor's checks (public
//     keys, payloads, signatures prepared in advance) and makes them;
//   - exec: the floor program with no checks to make, which fails at
//     once: what starting a process costs, for scale.
//
// The two programs are built with the go command that runs the tests.
func BenchmarkFirstWalk(b *testing.B) {
	bins := buildFreshProcs(b)
	for _, kind := range []string{"ecdsa", "ed25519"} {
		const n = 10
		c := getBenchChain(b, kind, n)
		dir := b.TempDir()
		for i, f := range c.files {
			if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i+1)+".root.json"), f, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		checks := filepath.Join(dir, "checks.bin")
		if err := os.WriteFile(checks, floorRecords(b, c.checksT1), 0o644); err != nil {
			b.Fatal(err)
		}
		empty := filepath.Join(dir, "empty.bin")
		if err := os.WriteFile(empty, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%s/%d", kind, n)
		run := func(wantOK bool, bin string, args ...string) func(b *testing.B) {
			return func(b *testing.B) {
				for b.Loop() {
					out, err := exec.Command(bin, args...).CombinedOutput()
					if (err == nil) != wantOK {
						b.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
					}
				}
			}
		}
		b.Run("walk/"+name, run(true, bins.walk, "-dir", dir, "-n", strconv.Itoa(n)))
		b.Run("walk-workers2/"+name, run(true, bins.walk, "-dir", dir, "-n", strconv.Itoa(n), "-workers", "2"))
		b.Run("floor-t1/"+name, run(true, bins.floor, "-checks", checks))
		// The floor program refuses an empty list, after reading it.
		b.Run("exec/"+name, run(false, bins.floor, "-checks", empty))
	}
}

type freshProcs struct{ walk, floor string }

// buildFreshProcs builds internal/freshproc/walk and floor with the go
// command that runs the tests.
func buildFreshProcs(b *testing.B) freshProcs {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		b.Fatalf("the benchmark builds its programs with the go command: %v", err)
	}
	dir := b.TempDir()
	bins := freshProcs{walk: filepath.Join(dir, "walk"), floor: filepath.Join(dir, "floor")}
	for _, p := range []struct{ out, pkg string }{
		{bins.walk, "github.com/trustroot/trustroot/internal/freshproc/walk"},
		{bins.floor, "github.com/trustroot/trustroot/internal/freshproc/floor"},
	} {
		if out, err := exec.Command(goCmd, "build", "-o", p.out, p.pkg).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", p.pkg, err, out)
		}
	}
	return bins
}

// floorRecords encodes checks for internal/freshproc/floor.
func floorRecords(b testing.TB, checks []floorCheck) []byte {
	var buf bytes.Buffer
	field := func(p []byte) {
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		buf.Write(p)
	}
	for _, ch := range checks {
		switch pub := ch.pub.(type) {
		case ed25519.PublicKey:
			buf.WriteByte('e')
			field(pub)
		case *ecdsa.PublicKey:
			pt, err := pub.Bytes()
			if err != nil {
				b.Fatal(err)
			}
			buf.WriteByte('p')
			field(pt)
		default:
			b.Fatalf("floor: key type %T", pub)
		}
		field(ch.payload)
		field(ch.sig)
	}
	return buf.Bytes()
}
