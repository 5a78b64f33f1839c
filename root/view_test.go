package root_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustroot/trustroot/root"
)

// view is everything a caller can read from a Root, in comparable form.
type view struct {
	Version            int64
	Expires            time.Time
	SpecVersion        string
	ConsistentSnapshot bool
	Keys               []keyView
	Roles              map[root.Role]roleView
	Signatures         []root.Signature
	Payload            string
}

type roleView struct {
	KeyIDs    []root.KeyID
	Threshold int
}

type keyView struct {
	ID, Type, Scheme, Holder, Serial, Fingerprint string
	IDMatchesContent                              bool
}

func viewOf(r *root.Root) view {
	v := view{
		Version:            r.Version(),
		Expires:            r.Expires(),
		SpecVersion:        r.SpecVersion(),
		ConsistentSnapshot: r.ConsistentSnapshot(),
		Roles:              map[root.Role]roleView{},
		Signatures:         r.Signatures(),
		Payload:            string(r.SigningPayload()),
	}
	for _, k := range r.Keys() {
		v.Keys = append(v.Keys, keyView{
			ID: string(k.ID()), Type: k.Type(), Scheme: k.Scheme(), Holder: k.Holder(),
			Serial: k.Serial(), Fingerprint: k.Fingerprint(), IDMatchesContent: k.IDMatchesContent(),
		})
	}
	for _, role := range root.TopLevelRoles() {
		if rk, ok := r.Role(role); ok {
			rv := roleView{Threshold: rk.Threshold}
			for _, k := range rk.Keys {
				rv.KeyIDs = append(rv.KeyIDs, k.ID())
			}
			v.Roles[role] = rv
		}
	}
	return v
}

// Writing a parsed root and parsing it again changes nothing a caller can
// see: not a key, a role, a signature or a byte of the signing payload.
func TestFileFormKeepsEverything(t *testing.T) {
	for _, f := range sigstoreFiles(t) {
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			first, err := root.Parse(readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			file, err := first.MarshalFile()
			if err != nil {
				t.Fatal(err)
			}
			second, err := root.Parse(file)
			if err != nil {
				t.Fatalf("parsing the file form: %v", err)
			}
			if diff := cmp.Diff(viewOf(first), viewOf(second)); diff != "" {
				t.Errorf("round trip changed the root (-parsed +reparsed):\n%s", diff)
			}
		})
	}
}
