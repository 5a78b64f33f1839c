package vectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Kinds of case.
const (
	// KindChain walks a root chain: Trusted is the root a client holds,
	// Steps the newer roots it is offered, in order.
	KindChain = "chain"
	// KindRepository verifies a whole repository (timestamp, snapshot,
	// targets, delegated targets) from the trusted root and, when
	// Target is set, looks that target up.
	KindRepository = "repository"
)

// Verdicts a case can expect.
const (
	Valid     = "valid"      // the metadata is trusted
	Parse     = "parse"      // malformed: rejected before any signature counts
	Threshold = "threshold"  // a threshold of distinct keys did not sign
	Version   = "version"    // a version is not exactly the one required (skip, equal, rollback)
	Expired   = "expired"    // the final metadata is expired at the reference time
	NotFound  = "not-found"  // the target is not listed (a delegation loop ends here)
	Mismatch  = "mismatch"   // a length or hash in the chain of metadata does not match
	Missing   = "missing"    // a metadata file the client needs is not there (or not listed)
	TooLarge  = "too-large"  // a bound on sizes, counts or depth was hit
	BadTarget = "bad-target" // a target name that is unsafe to use as a path
)

// Verdicts lists every verdict a case may expect.
func Verdicts() []string {
	return []string{Valid, Parse, Threshold, Version, Expired, NotFound, Mismatch, Missing, TooLarge, BadTarget}
}

// Case is one corpus entry, as described by its case.json.
type Case struct {
	// Name is the case directory name.
	Name string `json:"name"`
	// Kind is KindChain or KindRepository.
	Kind string `json:"kind"`
	// Expect is the verdict trustroot must reach.
	Expect string `json:"expect"`
	// Reason says in one line why that is the right verdict.
	Reason string `json:"reason"`
	// GoTUF is how go-tuf judges the same files: "agree", or
	// "stricter: <why>" when trustroot rejects what go-tuf accepts,
	// "lenient: <why>" when trustroot accepts what go-tuf rejects, or
	// "n/a: <why>" when go-tuf has no comparable check.
	GoTUF string `json:"gotuf"`
	// At is the reference time for expiry checks.
	At time.Time `json:"at"`
	// Trusted names the file holding the root the client already trusts.
	Trusted string `json:"trusted"`
	// Steps names newer root files, in the order a client fetches them.
	Steps []string `json:"steps,omitempty"`
	// Files lists the other metadata files of a repository case, by role
	// name: "timestamp", "snapshot", "targets" and delegated role names.
	Files map[string]string `json:"files,omitempty"`
	// Target is the target path a repository case looks up, if any.
	Target string `json:"target,omitempty"`
	// TargetSHA256, when set, is the hex SHA-256 of the content the
	// found target entry must describe (it tells which of several
	// delegations won).
	TargetSHA256 string `json:"target_sha256,omitempty"`
	// Advisories lists the advisories or CVEs the case regresses.
	Advisories []string `json:"advisories,omitempty"`

	dir string
}

// Dir returns the directory holding the case's files.
func (c *Case) Dir() string { return c.dir }

// Read returns the contents of one of the case's files.
func (c *Case) Read(name string) ([]byte, error) {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("vectors: case %s: bad file name %q", c.Name, name)
	}
	return os.ReadFile(filepath.Join(c.dir, name))
}

// GoTUFMode returns the first word of GoTUF: "agree", "stricter",
// "lenient" or "n/a".
func (c *Case) GoTUFMode() string {
	mode, _, _ := strings.Cut(c.GoTUF, ":")
	return strings.TrimSpace(mode)
}

// CorpusDir returns the path of testdata/vectors in this checkout.
func CorpusDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "vectors")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "vectors")
}

// Load reads and checks every case under dir, sorted by name.
func Load(dir string) ([]*Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	var cases []*Case
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := LoadCase(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoCases, dir)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

// LoadCase reads and checks the case in dir.
func LoadCase(dir string) (*Case, error) {
	data, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	c := new(Case)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("vectors: %s/case.json: %w", filepath.Base(dir), err)
	}
	c.dir = dir
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Case) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("vectors: case %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	if c.Name != filepath.Base(c.dir) {
		return bad("name does not match directory %q", filepath.Base(c.dir))
	}
	if c.Kind != KindChain && c.Kind != KindRepository {
		return bad("unknown kind %q", c.Kind)
	}
	known := false
	for _, v := range Verdicts() {
		known = known || v == c.Expect
	}
	if !known {
		return bad("unknown verdict %q", c.Expect)
	}
	if strings.TrimSpace(c.Reason) == "" {
		return bad("no reason")
	}
	switch c.GoTUFMode() {
	case "agree":
	case "stricter", "lenient", "n/a":
		if _, why, _ := strings.Cut(c.GoTUF, ":"); strings.TrimSpace(why) == "" {
			return bad("gotuf %q gives no reason", c.GoTUF)
		}
	default:
		return bad("gotuf must be agree, stricter: ..., lenient: ... or n/a: ..., not %q", c.GoTUF)
	}
	if c.At.IsZero() {
		return bad("no reference time")
	}
	files := append([]string{c.Trusted}, c.Steps...)
	for _, f := range c.Files {
		files = append(files, f)
	}
	for _, f := range files {
		if _, err := c.Read(f); err != nil {
			return bad("%v", err)
		}
	}
	if c.Kind == KindChain && (len(c.Files) > 0 || c.Target != "") {
		return bad("a chain case has no repository files or target")
	}
	return nil
}

// ErrNoCases is returned when a corpus directory holds no case.
var ErrNoCases = errors.New("vectors: no cases")
