// Package tufmeta parses TUF metadata files (root, targets, snapshot,
// timestamp) strictly into go-tuf's metadata model and computes the signing
// payload from the bytes as they were parsed.
//
// [Parse] decodes the file with package cjson (no duplicate keys, valid
// UTF-8, bounded depth, no trailing data), checks the size bound, _type,
// spec_version major 1, version >= 1 and unique signature key IDs, and
// takes the payload as the canonical JSON of the strictly decoded `signed`
// object, never of a re-marshalled struct. It also re-marshals the typed
// model and requires the same canonical bytes, so a document that Go's
// case-insensitive decoder would read differently from what was signed is
// rejected rather than misread; so is a top-level or signature member whose
// name differs from "signed", "signatures", "keyid" or "sig" only in case.
package tufmeta

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/cjson"
)

// DefaultMaxSize is the size bound Parse applies when given maxSize <= 0.
const DefaultMaxSize = 4 << 20

// MaxSignatures bounds the number of signature entries in one file.
const MaxSignatures = 1024

// ErrMalformed is wrapped by every Parse error.
var ErrMalformed = errors.New("tufmeta: malformed metadata")

// Signature is one entry of a file's signatures list. Sig is empty for the
// placeholder entries ("sig": "") some tools write.
type Signature struct {
	KeyID string
	Sig   []byte
}

// Doc is a parsed metadata file.
type Doc[T metadata.Roles] struct {
	// Meta is the typed model. Its Signatures mirror Signatures.
	Meta *metadata.Metadata[T]
	// Signed is the strictly decoded `signed` object (see package cjson).
	Signed map[string]any
	// Payload is the canonical JSON of Signed: the bytes signatures cover.
	Payload []byte
	// Signatures are the file's signatures in file order.
	Signatures []Signature
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// TypeName returns the _type that metadata of type T carries.
func TypeName[T metadata.Roles]() string {
	var t T
	switch any(&t).(type) {
	case *metadata.RootType:
		return metadata.ROOT
	case *metadata.TargetsType:
		return metadata.TARGETS
	case *metadata.SnapshotType:
		return metadata.SNAPSHOT
	case *metadata.TimestampType:
		return metadata.TIMESTAMP
	}
	return ""
}

// Parse parses data as metadata of type T. maxSize <= 0 means
// DefaultMaxSize.
func Parse[T metadata.Roles](data []byte, maxSize int) (*Doc[T], error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if len(data) > maxSize {
		return nil, malformed("file is %d bytes, more than the limit of %d", len(data), maxSize)
	}
	tree, err := cjson.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return nil, malformed("file is not a JSON object")
	}
	signed, ok := top["signed"].(map[string]any)
	if !ok {
		return nil, malformed(`"signed" is missing or not an object`)
	}
	if err := caseVariants(top, "signed", "signatures"); err != nil {
		return nil, err
	}
	want := TypeName[T]()
	typ, ok := signed["_type"].(string)
	if !ok {
		return nil, malformed(`signed._type is missing or not a string`)
	}
	if typ != want {
		return nil, malformed("_type is %q, want %q", typ, want)
	}
	if err := checkSpecVersion(signed["spec_version"]); err != nil {
		return nil, err
	}
	if err := checkVersion(signed["version"]); err != nil {
		return nil, err
	}
	sigs, err := parseSignatures(top["signatures"])
	if err != nil {
		return nil, err
	}
	payload, err := cjson.EncodeCanonical(signed)
	if err != nil {
		return nil, fmt.Errorf("%w: signed: %w", ErrMalformed, err)
	}

	meta := &metadata.Metadata[T]{}
	if err := json.Unmarshal(data, meta); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	remarshalled, err := json.Marshal(meta.Signed)
	if err != nil {
		return nil, fmt.Errorf("%w: re-encoding signed: %w", ErrMalformed, err)
	}
	again, err := cjson.Decode(remarshalled)
	if err != nil {
		return nil, fmt.Errorf("%w: re-encoding signed: %w", ErrMalformed, err)
	}
	againCanon, err := cjson.EncodeCanonical(again)
	if err != nil || !bytes.Equal(againCanon, payload) {
		return nil, malformed("signed does not survive decoding into the metadata model unchanged (%s); the document is ambiguous or incomplete", firstDifference(signed, again))
	}
	return &Doc[T]{Meta: meta, Signed: signed, Payload: payload, Signatures: sigs}, nil
}

func checkSpecVersion(v any) error {
	s, ok := v.(string)
	if !ok {
		return malformed("spec_version is missing or not a string")
	}
	major, _, _ := strings.Cut(s, ".")
	if major != "1" {
		return malformed("spec_version %q is not a 1.x version", s)
	}
	return nil
}

func checkVersion(v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return malformed("version is missing or not a number")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return malformed("version %s is not an integer", n)
	}
	if i < 1 {
		return malformed("version %d is below 1", i)
	}
	return nil
}

func parseSignatures(v any) ([]Signature, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, malformed(`"signatures" is missing or not a list`)
	}
	if len(list) > MaxSignatures {
		return nil, malformed("%d signatures, more than the limit of %d", len(list), MaxSignatures)
	}
	seen := map[string]bool{}
	out := make([]Signature, 0, len(list))
	for i, e := range list {
		o, ok := e.(map[string]any)
		if !ok {
			return nil, malformed("signature %d is not an object", i)
		}
		if err := caseVariants(o, "keyid", "sig"); err != nil {
			return nil, err
		}
		id, ok := o["keyid"].(string)
		if !ok {
			return nil, malformed("signature %d: keyid is missing or not a string", i)
		}
		sigHex, ok := o["sig"].(string)
		if !ok {
			return nil, malformed("signature %d: sig is missing or not a string", i)
		}
		if seen[id] {
			return nil, malformed("more than one signature under key ID %q", id)
		}
		seen[id] = true
		sig, err := hex.DecodeString(sigHex)
		if err != nil {
			return nil, malformed("signature %d (key ID %q) is not hex", i, id)
		}
		out = append(out, Signature{KeyID: id, Sig: sig})
	}
	return out, nil
}

// caseVariants refuses an object with a member whose name differs only in
// case from one of fields. The signed object needs no such rule (the model
// comparison catches it), but the top level and the signatures are read
// from the tree here and by Go's case-insensitive decoder in go-tuf.
func caseVariants(obj map[string]any, fields ...string) error {
	for name := range obj {
		for _, f := range fields {
			if name != f && strings.EqualFold(name, f) {
				return malformed("member %q differs from %q only in case", name, f)
			}
		}
	}
	return nil
}

// firstDifference names the first top-level field of signed whose
// canonical form differs from the re-encoded model.
func firstDifference(orig map[string]any, again any) string {
	am, _ := again.(map[string]any)
	for k, v := range orig {
		a, present := am[k]
		if !present {
			return fmt.Sprintf("field %q is lost", k)
		}
		c1, _ := cjson.EncodeCanonical(v)
		c2, _ := cjson.EncodeCanonical(a)
		if !bytes.Equal(c1, c2) {
			return fmt.Sprintf("field %q changes", k)
		}
	}
	for k := range am {
		if _, present := orig[k]; !present {
			return fmt.Sprintf("field %q is missing", k)
		}
	}
	return "fields differ"
}

// Canonical returns the canonical JSON of any value that marshals to JSON,
// such as a go-tuf signed struct. Floats are an error.
func Canonical(v any) ([]byte, error) {
	tree, err := cjson.FromValue(v)
	if err != nil {
		return nil, err
	}
	return cjson.EncodeCanonical(tree)
}
