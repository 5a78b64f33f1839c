// Command walk verifies the root chain DIR/1.root.json .. DIR/N.root.json
// with verify.Chain, once, and exits: 0 if the chain verified to version
// N, 1 otherwise. It is a benchmark subject (see package freshproc).
//
//	walk -dir DIR -n N [-workers W]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func main() {
	dir := flag.String("dir", "", "the `directory` holding 1.root.json .. N.root.json")
	n := flag.Int("n", 0, "the newest `version`")
	workers := flag.Int("workers", 0, "verify.Options.Workers")
	flag.Parse()
	if err := run(*dir, *n, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "walk:", err)
		os.Exit(1)
	}
}

func run(dir string, n, workers int) error {
	if n < 1 {
		return fmt.Errorf("-n %d: want at least 1", n)
	}
	files := make([][]byte, n)
	for i := range files {
		data, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i+1)+".root.json"))
		if err != nil {
			return err
		}
		files[i] = data
	}
	trusted, err := root.Parse(files[0])
	if err != nil {
		return err
	}
	// A fixed reference time, before the benchmark chains expire.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res, err := verify.Chain(trusted, files[1:], verify.Options{Now: now, Workers: workers})
	if err != nil {
		return err
	}
	if res.Root.Version() != int64(n) {
		return fmt.Errorf("the walk ended at version %d, want %d", res.Root.Version(), n)
	}
	return nil
}
