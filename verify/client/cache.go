package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/trustroot/trustroot/internal/atomicfile"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// cache is the local cache directory:
//
//	root.json               the newest trusted root
//	N.root.json             every root version accepted after the embedded one
//	timestamp.json          the trusted timestamp
//	snapshot.json           the trusted snapshot
//	targets.json            the trusted top-level targets
//	delegated/ROLE.json     delegated targets metadata (ROLE path-escaped)
//	targets/NAME            target files (NAME path-escaped)
//
// A name whose escaped form is longer than 200 bytes is stored as
// sha256-HEX instead.
//
// Every file is written atomically; nothing read from it is trusted before
// package verify has checked it again, except that root.json is where a
// restart starts the root walk (after its chain from the embedded root,
// through the cached N.root.json files, verified).
type cache struct {
	dir string
}

func (c *cache) path(name string) string { return filepath.Join(c.dir, filepath.FromSlash(name)) }

// write stores a file atomically. A nil cache writes nothing.
func (c *cache) write(name string, data []byte) error {
	if c == nil {
		return nil
	}
	if err := atomicfile.WriteFile(c.path(name), data, 0o644); err != nil {
		return fmt.Errorf("client: cache: %w", err)
	}
	return nil
}

// read reads a cached file of at most max bytes. A missing file is (nil,
// nil); a longer one an error.
func (c *cache) read(name string, max int64) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	f, err := os.Open(c.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client: cache: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("client: cache: reading %s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("client: cache: %s: %w: more than %d bytes", c.path(name), verify.ErrTooLarge, max)
	}
	return data, nil
}

// roleFile names a targets role's file in the cache.
func roleFile(role root.Role) string {
	if role == root.RoleTargets {
		return "targets.json"
	}
	return "delegated/" + cacheName(string(role)) + ".json"
}

// targetFile names a target file in the cache.
func targetFile(name string) string { return "targets/" + cacheName(name) }

// cacheName turns a role or target name into one file name: path-escaped
// (so "a/b" is "a%2Fb"), or, when that would be too long for a file
// system, "sha256-" and the hex SHA-256 of the name.
func cacheName(name string) string {
	if esc := url.PathEscape(name); len(esc) <= 200 {
		return esc
	}
	sum := sha256.Sum256([]byte(name))
	return "sha256-" + hex.EncodeToString(sum[:])
}

// loadState reads the trusted state the cache holds, each file at most
// max(file) bytes. The cached root is used only if it is the trusted root
// or the cached N.root.json files chain to it from trusted; otherwise the
// cache is refused with an error naming the file (remove the directory to
// start over).
func (c *cache) loadState(trusted *root.Root, opts verify.Options, max func(file string) int64) (*verify.State, error) {
	if c == nil {
		return nil, nil
	}
	st := &verify.State{}
	var err error
	if st.Root, err = c.read("root.json", max("root.json")); err != nil {
		return nil, err
	}
	if st.Timestamp, err = c.read("timestamp.json", max("timestamp.json")); err != nil {
		return nil, err
	}
	if st.Snapshot, err = c.read("snapshot.json", max("snapshot.json")); err != nil {
		return nil, err
	}
	if st.Root == nil {
		return st, nil
	}
	cached, err := root.Parse(st.Root)
	if err != nil {
		return nil, fmt.Errorf("client: cache: %s: %w", c.path("root.json"), err)
	}
	if cached.Version() <= trusted.Version() {
		// The embedded root is as new or newer (a new release of the
		// program): the walk starts from it. verify.NewRepo refuses a
		// cached root of the same version that differs.
		return st, nil
	}
	steps := opts.MaxRootSteps
	if steps <= 0 {
		steps = verify.DefaultMaxRootSteps
	}
	if cached.Version()-trusted.Version() > int64(steps) {
		return nil, fmt.Errorf("client: cache: %s is root v%d, more than %d versions after the trusted root v%d", c.path("root.json"), cached.Version(), steps, trusted.Version())
	}
	var files [][]byte
	for v := trusted.Version() + 1; v <= cached.Version(); v++ {
		name := strconv.FormatInt(v, 10) + ".root.json"
		data, err := c.read(name, max(name))
		if err != nil {
			return nil, err
		}
		if data == nil {
			return nil, fmt.Errorf("client: cache: %s is root v%d but %s is missing, so it does not chain from the trusted root v%d; remove %s to start over",
				c.path("root.json"), cached.Version(), name, trusted.Version(), c.dir)
		}
		files = append(files, data)
	}
	if last, err := root.Parse(files[len(files)-1]); err != nil || !bytes.Equal(last.SigningPayload(), cached.SigningPayload()) {
		return nil, fmt.Errorf("client: cache: %s differs from %s; remove %s to start over", c.path("root.json"), c.path(strconv.FormatInt(cached.Version(), 10)+".root.json"), c.dir)
	}
	_, err = verify.Chain(trusted, files, opts)
	var expired *verify.ExpiredError
	if err != nil && !(errors.As(err, &expired) && expired.Role == root.RoleRoot && expired.Version == cached.Version()) {
		// An expired newest root is fine here (every signature verified;
		// the next refresh walks on from it); anything else is not.
		return nil, fmt.Errorf("client: cache %s: the cached root chain does not verify from the trusted root v%d (remove the directory to start over): %w", c.dir, trusted.Version(), err)
	}
	return st, nil
}
