package tufmeta

import (
	"bytes"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
)

// FuzzPlainRoleKeys: whenever the fast reader of a role object accepts
// one, the general object reader finds exactly keyids and threshold in it,
// with the same bytes.
func FuzzPlainRoleKeys(f *testing.F) {
	for _, s := range []string{`{"keyids":["a","b"],"threshold":2}`, `{"keyids":[],"threshold":1}`, `{"keyids":["a"],"threshold":-1}`,
		`{"keyids":[{"a":[1],"threshold":2}],"threshold":3}`, `{"keyids":["a"],"thReshold":1,"threshold":1}`,
		`{"keyids":["a"],"threshold":1,"x":"y"}`, `{"Keyids":[],"keyids":["a"],"threshold":1}`, `{"keyids":[1,"a"],"threshold":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := cjson.Canonicalize(data)
		if err != nil {
			return
		}
		ids, thr, ok := plainRoleKeys(raw)
		if !ok {
			return
		}
		ms, err := raw.Members()
		if err != nil || len(ms) != 2 || ms[0].Key != "keyids" || ms[1].Key != "threshold" {
			t.Fatalf("plainRoleKeys accepted %s, whose members are %v (%v)", raw, ms, err)
		}
		if !bytes.Equal(ms[0].Value, ids) || !bytes.Equal(ms[1].Value, thr) {
			t.Fatalf("plainRoleKeys(%s) = %s %s, the reader says %s %s", raw, ids, thr, ms[0].Value, ms[1].Value)
		}
	})
}
