package atomicfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trustroot/trustroot/internal/atomicfile"
)

func ExampleWriteFileFS() {
	dir, _ := os.MkdirTemp("", "atomicfile-example-")
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "root.json")
	_ = atomicfile.WriteFile(name, []byte("v1"), 0o644)

	// Fail the rename, as a crash just before it would.
	fsys := &atomicfile.FaultFS{FailAt: 1, Ops: []atomicfile.Op{atomicfile.OpRename}}
	err := atomicfile.WriteFileFS(fsys, name, []byte("v2"), 0o644)
	got, _ := os.ReadFile(name)
	fmt.Println(errors.Is(err, atomicfile.ErrInjected), string(got))
	// Output: true v1
}
