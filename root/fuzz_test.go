package root_test

import (
	"bytes"
	"testing"

	"github.com/trustroot/trustroot/root"
)

// FuzzParse: whatever Parse accepts survives MarshalFile and a second
// Parse with the same signing payload, the same signatures and a stable
// file form; nothing panics.
func FuzzParse(f *testing.F) {
	files := sigstoreFiles(f)
	for _, p := range files {
		f.Add(readFile(f, p))
	}
	fx := newFixture(f)
	fx.sign(f, fx.r, 0, nil)
	built, err := fx.r.MarshalFile()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(built)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := root.Parse(data)
		if err != nil {
			return
		}
		out, err := r.MarshalFile()
		if err != nil {
			t.Fatalf("MarshalFile of a parsed root: %v", err)
		}
		r2, err := root.Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if !bytes.Equal(r.SigningPayload(), r2.SigningPayload()) {
			t.Fatal("payload changed across MarshalFile")
		}
		if !bytes.Equal(canonicalSigned(t, out), r.SigningPayload()) {
			t.Fatal("the written signed object is not canonically equal to the payload")
		}
		out2, err := r2.MarshalFile()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("file form not stable: %v", err)
		}
		if len(r.Signatures()) != len(r2.Signatures()) {
			t.Fatal("signatures lost")
		}
		// Lint and Requirements never panic on a parsed root.
		_ = root.Lint(r, root.LintOptions{})
		_ = r2.Requirements(r)
		_ = r2.SigningStatus(r)
	})
}
