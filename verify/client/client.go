package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// Defaults for Options.
const (
	// DefaultTimeout bounds each request when Options.Timeout is zero.
	DefaultTimeout = time.Minute
	// DefaultMaxTargetSize bounds a target download when
	// Options.MaxTargetSize is zero. Targets are read into memory.
	DefaultMaxTargetSize = 32 << 20
)

// Options configure a Client. Root and exactly one source (MetadataURL or
// FS) are required; every other field has a safe zero value.
type Options struct {
	// Root is the trusted root file the program ships with (embed it
	// with go:embed), usually the repository's 1.root.json obtained out
	// of band and checked against its announced digest.
	Root []byte

	// MetadataURL is the http or https base URL of the repository's
	// metadata: N.root.json, timestamp.json and the rest are fetched
	// from MetadataURL/FILE.
	MetadataURL string
	// TargetsURL is the base URL of target files; "" means
	// MetadataURL/targets.
	TargetsURL string
	// FS is a repository held in a file system instead: metadata at its
	// top, target files under targets/.
	FS fs.FS

	// HTTPClient makes the requests; nil means a client with
	// http.DefaultTransport. Its own Timeout, if any, applies as well.
	HTTPClient *http.Client
	// Timeout bounds each request, the body included; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent with each request when not "".
	UserAgent string

	// CacheDir, when not "", is a directory where the client keeps what
	// it trusts: each metadata file as it is accepted, and target files
	// it downloaded. A client made later with the same directory goes on
	// from there: rollback protection survives a restart, and metadata
	// and targets the cache already holds are not fetched again. Protect
	// it like the program itself: a restart trusts its root.json once
	// the cached root chain verifies from Root.
	CacheDir string

	// MaxTargetSize bounds the size of a target the client downloads,
	// in bytes, on top of the length trusted metadata lists; zero means
	// DefaultMaxTargetSize.
	MaxTargetSize int64

	// Verify tunes verification: Now (zero: the current time at each
	// Refresh), Strict, MaxRootSteps, MaxDelegations and the metadata
	// size Limits, which also bound every fetch.
	Verify verify.Options
}

// Client follows one TUF repository: [Client.Refresh] runs the client
// workflow of the specification (section 5) over HTTP or a file system,
// and lookups and downloads use what the last successful refresh
// trusted. A refresh that fails leaves the trusted view, and so the
// material a service uses, as it was. A Client is safe for concurrent
// use; refreshes run one at a time.
type Client struct {
	trusted   *root.Root
	opts      verify.Options
	src       source
	cache     *cache
	maxTarget int64

	refreshing sync.Mutex

	mu    sync.Mutex
	state verify.State // what the next refresh starts from
	view  *view        // nil until a refresh, or the cache, gave one
}

// view is a trusted view of the repository: one verify.Repo whose
// top-level metadata verified.
type view struct {
	repo   *verify.Repo
	status Status
	roles  map[string]roleMeta // targets metadata file name -> role
}

// newView makes the view of a Repo whose top-level metadata verified.
// Its status is computed once: a lookup holds the Repo while it fetches
// delegated metadata, and Status must not wait for that.
func newView(repo *verify.Repo, verified time.Time, fromCache bool) *view {
	r, ts, sn := repo.Root(), repo.Timestamp(), repo.Snapshot()
	tg, _ := repo.Metadata(root.RoleTargets)
	s := Status{Root: r.Version(), Timestamp: ts.Version(), Snapshot: sn.Version(), Targets: tg.Version(), Verified: verified, FromCache: fromCache}
	s.Expires = r.Expires()
	for _, e := range []time.Time{ts.Expires(), sn.Expires(), tg.Expires()} {
		if e.Before(s.Expires) {
			s.Expires = e
		}
	}
	return &view{repo: repo, status: s, roles: rolesOf(repo)}
}

type roleMeta struct {
	role root.Role
	meta repository.MetaFile
}

// New returns a client trusting opts.Root. It reads the cache directory,
// if any, but fetches nothing. When the cache holds a complete trusted
// view (root, timestamp, snapshot, top-level targets) that still verifies
// at the reference time, the client starts with it, so lookups work
// before the first Refresh; otherwise they fail until a Refresh succeeds.
// It fails if the trusted root is not signed by a threshold of its own
// keys, if the options are inconsistent, or if the cache holds a root
// that does not chain from the trusted root (remove the directory to
// start over).
func New(opts Options) (*Client, error) {
	if len(opts.Root) == 0 {
		return nil, errors.New("client: Options.Root is required (the trusted root file the program ships with)")
	}
	trusted, err := root.Parse(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("client: trusted root: %w", err)
	}
	c := &Client{trusted: trusted, opts: opts.Verify, maxTarget: opts.MaxTargetSize}
	if c.maxTarget <= 0 {
		c.maxTarget = DefaultMaxTargetSize
	}
	switch {
	case (opts.MetadataURL == "") == (opts.FS == nil):
		return nil, errors.New("client: exactly one of Options.MetadataURL and Options.FS is required")
	case opts.FS != nil:
		if opts.TargetsURL != "" {
			return nil, errors.New("client: Options.TargetsURL goes with MetadataURL, not FS")
		}
		tfs, err := fs.Sub(opts.FS, "targets")
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		c.src = &fsSource{metaFS: opts.FS, targetsFS: tfs}
	default:
		h := &httpSource{client: opts.HTTPClient, timeout: opts.Timeout, userAgent: opts.UserAgent}
		if h.client == nil {
			h.client = &http.Client{}
		}
		if h.timeout <= 0 {
			h.timeout = DefaultTimeout
		}
		if h.meta0, err = parseBase("metadata URL", opts.MetadataURL); err != nil {
			return nil, err
		}
		t := opts.TargetsURL
		if t == "" {
			t = strings.TrimSuffix(opts.MetadataURL, "/") + "/targets"
		}
		if h.targets0, err = parseBase("targets URL", t); err != nil {
			return nil, err
		}
		c.src = h
	}
	probe, err := verify.NewRepo(trusted, nil, c.opts)
	if err != nil {
		return nil, fmt.Errorf("client: trusted root: %w", err)
	}
	if opts.CacheDir != "" {
		c.cache = &cache{dir: opts.CacheDir}
		st, err := c.cache.loadState(trusted, c.opts, func(file string) int64 { return probe.MaxSize(file, repository.MetaFile{}) })
		if err != nil {
			return nil, err
		}
		c.state = *st
		// A cached root of the trusted root's version must be that root.
		if _, err := verify.NewRepo(trusted, &c.state, c.opts); err != nil {
			return nil, fmt.Errorf("client: cache %s: %w", opts.CacheDir, err)
		}
		c.view = c.cachedView()
	}
	return c, nil
}

// verifyOptions returns the options of one update, with its reference
// time fixed.
func (c *Client) verifyOptions() (verify.Options, time.Time) {
	o := c.opts
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o, o.Now
}

func cloneState(s verify.State) *verify.State {
	return &verify.State{Root: bytes.Clone(s.Root), Timestamp: bytes.Clone(s.Timestamp), Snapshot: bytes.Clone(s.Snapshot)}
}

// Refresh updates the client from the repository, in the order the
// specification gives: every new root version (N+1.root.json until one is
// not found: a 404, or a missing file for Options.FS; any other failure
// is an error), the timestamp, the snapshot it names, and the top-level
// targets. Each file is fetched within its size bound (the length trusted
// metadata lists, else the role's limit) and verified before it is
// trusted, and, with a cache, written to it as it is accepted, as the
// specification asks. Metadata the client already trusts at the version
// the repository names is not fetched again.
//
// If the refresh fails, lookups keep using the view the last successful
// refresh trusted; the roots and timestamp it accepted before failing
// stay trusted for the next refresh. Errors match verify's sentinels
// (verify.ErrExpired, ErrRollback, ErrThreshold, ErrTooLarge, ErrMissing),
// repository.ErrLengthMismatch and ErrHashMismatch, context errors, and
// *HTTPError for a status other than 200 OK.
func (c *Client) Refresh(ctx context.Context) error {
	c.refreshing.Lock()
	defer c.refreshing.Unlock()
	c.mu.Lock()
	st := cloneState(c.state)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.state = *st
		c.mu.Unlock()
	}()
	opts, now := c.verifyOptions()
	repo, err := verify.NewRepo(c.trusted, cloneState(*st), opts)
	if err != nil {
		return err
	}
	for {
		name := repo.NextRootFile()
		data, err := c.fetchMeta(ctx, repo, name, repository.MetaFile{})
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return err
		}
		if err := repo.UpdateRoot(data); err != nil {
			return err
		}
		if err := c.cache.write(name, data); err != nil {
			return err
		}
		if err := c.cache.write("root.json", data); err != nil {
			return err
		}
		st.Root = data
	}
	if err := repo.EndRootWalk(); err != nil {
		return err // the newest root has expired (5.3.10)
	}
	data, err := c.fetchMeta(ctx, repo, "timestamp.json", repository.MetaFile{})
	if err != nil {
		return err
	}
	if err := repo.UpdateTimestamp(data); err != nil {
		return err
	}
	if !repo.TimestampUnchanged() {
		if err := c.cache.write("timestamp.json", data); err != nil {
			return err
		}
		st.Timestamp = data
	}
	file, meta, have, err := repo.SnapshotFile()
	if err != nil {
		return err
	}
	if !have {
		data, err := c.fetchMeta(ctx, repo, file, meta)
		if err != nil {
			return err
		}
		if err := repo.UpdateSnapshot(data); err != nil {
			return err
		}
		if err := c.cache.write("snapshot.json", data); err != nil {
			return err
		}
		st.Snapshot = data
	}
	file, meta, err = repo.TargetsFile(root.RoleTargets)
	if err != nil {
		return err
	}
	if cached := c.cachedRole(root.RoleTargets, meta, repo.MaxSize(file, meta)); cached == nil || repo.UpdateTargets(cached) != nil {
		data, err := c.fetchMeta(ctx, repo, file, meta)
		if err != nil {
			return err
		}
		if err := repo.UpdateTargets(data); err != nil {
			return err
		}
		if err := c.cache.write(roleFile(root.RoleTargets), data); err != nil {
			return err
		}
	}
	v := newView(repo, now, false)
	c.mu.Lock()
	c.view = v
	c.mu.Unlock()
	return nil
}

// fetchMeta fetches a metadata file within repo's bound for it.
func (c *Client) fetchMeta(ctx context.Context, repo *verify.Repo, file string, meta repository.MetaFile) ([]byte, error) {
	return c.fetchBounded(ctx, file, meta, repo.MaxSize(file, meta))
}

// fetchBounded fetches a metadata file of at most max bytes. A file
// longer than the length meta lists is a length mismatch; longer than
// max otherwise, too large; a missing one matches verify.ErrMissing.
func (c *Client) fetchBounded(ctx context.Context, file string, meta repository.MetaFile, max int64) ([]byte, error) {
	data, err := c.src.meta(ctx, file, max)
	var long *tooLongError
	switch {
	case errors.As(err, &long) && meta.Length > 0 && max == meta.Length:
		return nil, fmt.Errorf("%w: %w: %s is listed with %d bytes", err, repository.ErrLengthMismatch, file, meta.Length)
	case errors.As(err, &long):
		return nil, fmt.Errorf("%w: %w", err, verify.ErrTooLarge)
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %w", err, verify.ErrMissing)
	}
	return data, err
}

// cachedRole returns the cached metadata of a targets role if it is the
// version meta names and matches the length and hashes meta lists; else
// nil. The caller still verifies it.
func (c *Client) cachedRole(role root.Role, meta repository.MetaFile, max int64) []byte {
	data, err := c.cache.read(roleFile(role), max)
	if err != nil || data == nil {
		return nil
	}
	t, err := repository.ParseTargets(role, data)
	if err != nil || t.Version() != meta.Version {
		return nil
	}
	if meta.Length > 0 || len(meta.Hashes) > 0 {
		length := meta.Length
		if length == 0 {
			length = -1
		}
		if repository.CheckContent(roleFile(role), bytes.NewReader(data), length, meta.Hashes) != nil {
			return nil
		}
	}
	return data
}

// rolesOf maps the file name of every targets role the trusted snapshot
// lists to the role and its entry.
func rolesOf(repo *verify.Repo) map[string]roleMeta {
	out := map[string]roleMeta{}
	sn := repo.Snapshot()
	if sn == nil {
		return out
	}
	for _, f := range sn.Files() {
		role, ok := strings.CutSuffix(f, ".json")
		if !ok {
			continue
		}
		file, meta, err := repo.TargetsFile(root.Role(role))
		if err == nil {
			out[file] = roleMeta{role: root.Role(role), meta: meta}
		}
	}
	return out
}

// cachedView builds a view from the cache alone, or returns nil: the
// cached timestamp, snapshot and top-level targets must still verify,
// under the cached root, at the reference time.
func (c *Client) cachedView() *view {
	if c.state.Timestamp == nil || c.state.Snapshot == nil {
		return nil
	}
	opts, now := c.verifyOptions()
	repo, err := verify.NewRepo(c.trusted, cloneState(c.state), opts)
	if err != nil {
		return nil
	}
	if err := repo.UpdateTimestamp(c.state.Timestamp); err != nil || !repo.TimestampUnchanged() {
		return nil
	}
	if _, _, have, err := repo.SnapshotFile(); err != nil || !have {
		return nil
	}
	file, meta, err := repo.TargetsFile(root.RoleTargets)
	if err != nil {
		return nil
	}
	data := c.cachedRole(root.RoleTargets, meta, repo.MaxSize(file, meta))
	if data == nil || repo.UpdateTargets(data) != nil {
		return nil
	}
	return newView(repo, now, true)
}

// errNoView is returned by lookups before any trusted view exists.
var errNoView = errors.New("client: no trusted metadata yet: Refresh first")

// current returns the trusted view.
func (c *Client) current() (*view, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view == nil {
		return nil, errNoView
	}
	return c.view, nil
}

// Status describes the client's trusted view.
type Status struct {
	// Root, Timestamp, Snapshot and Targets are the versions trusted.
	Root, Timestamp, Snapshot, Targets int64
	// Expires is the earliest expiry among them: after it the view is
	// stale, and only a successful Refresh gives a fresh one.
	Expires time.Time
	// Verified is the reference time the view was verified at.
	Verified time.Time
	// FromCache is set when the view was loaded from the cache directory
	// by New rather than fetched by Refresh.
	FromCache bool
}

// Status returns the trusted view's versions and expiry; false before
// there is one.
func (c *Client) Status() (Status, bool) {
	v, err := c.current()
	if err != nil {
		return Status{}, false
	}
	return v.status, true
}
