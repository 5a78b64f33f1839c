package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// loaded records what a loader handed to a target search.
type loaded struct {
	fromCache bool
	fetched   []fetchedRole
}

type fetchedRole struct {
	role    root.Role
	version int64
	data    []byte
}

// loader returns the verify.Loader a search uses for delegated metadata:
// the cached file when it is the version the snapshot names (and matches
// its length and hashes), else a bounded fetch.
func (c *Client) loader(ctx context.Context, v *view, useCache bool, got *loaded) verify.Loader {
	return func(file string, max int64) ([]byte, error) {
		rm, known := v.roles[file]
		if known && useCache {
			if data := c.cachedRole(rm.role, rm.meta, max); data != nil {
				got.fromCache = true
				return data, nil
			}
		}
		data, err := c.fetchBounded(ctx, file, rm.meta, max)
		if err != nil {
			return nil, err
		}
		if known {
			got.fetched = append(got.fetched, fetchedRole{role: rm.role, version: rm.meta.Version, data: data})
		}
		return data, nil
	}
}

// search runs a target search (a lookup or a listing) on the trusted
// view. If it fails after using cached metadata, it runs again fetching
// everything, so a stale cache never stands in the way. Delegated
// metadata fetched and verified on the way is cached.
func (c *Client) search(ctx context.Context, run func(*view, verify.Loader) error) error {
	v, err := c.current()
	if err != nil {
		return err
	}
	var got loaded
	err = run(v, c.loader(ctx, v, true, &got))
	if err != nil && got.fromCache && !errors.Is(err, verify.ErrTargetNotFound) {
		err = run(v, c.loader(ctx, v, false, &got))
	}
	for _, f := range got.fetched {
		if md, ok := v.repo.Metadata(f.role); ok && md.Version() == f.version {
			if werr := c.cache.write(roleFile(f.role), f.data); werr != nil && err == nil {
				err = werr
			}
		}
	}
	return err
}

// Target looks a target up by name in the trusted view, searching
// delegations in the specification's order (fetching, verifying and
// caching the delegated metadata the search needs). A name no trusted
// role lists fails with verify.ErrTargetNotFound, which matches
// fs.ErrNotExist.
func (c *Client) Target(ctx context.Context, name string) (repository.Target, error) {
	var t repository.Target
	err := c.search(ctx, func(v *view, load verify.Loader) error {
		var err error
		t, err = v.repo.Target(name, load)
		return err
	})
	return t, err
}

// Targets lists every trusted target, delegated ones included, sorted by
// name, each attributed to the role a lookup would trust for it. At most
// verify.Options.MaxDelegations delegated roles are read.
func (c *Client) Targets(ctx context.Context) ([]repository.Target, error) {
	var ts []repository.Target
	err := c.search(ctx, func(v *view, load verify.Loader) error {
		var err error
		ts, err = v.repo.ListTargets(load)
		return err
	})
	return ts, err
}

// Download returns the content of a trusted target: looked up as Target
// does, then taken from the cache if a cached copy still matches its
// trusted length and hashes, else fetched from its consistent-snapshot
// path (targets/DIR/HASH.BASE), reading at most its trusted length, and
// checked. Content that does not match fails with
// repository.ErrLengthMismatch or repository.ErrHashMismatch; a target
// longer than Options.MaxTargetSize fails with verify.ErrTooLarge before
// anything is fetched.
func (c *Client) Download(ctx context.Context, name string) ([]byte, error) {
	var t repository.Target
	var used *view
	err := c.search(ctx, func(v *view, load verify.Loader) error {
		var err error
		used = v
		t, err = v.repo.Target(name, load)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.download(ctx, used, t)
}

func (c *Client) download(ctx context.Context, v *view, t repository.Target) ([]byte, error) {
	if t.Length > c.maxTarget {
		return nil, fmt.Errorf("client: target %s: %w: %d bytes, more than %d (Options.MaxTargetSize)", t.Name, verify.ErrTooLarge, t.Length, c.maxTarget)
	}
	if t.Length < 0 {
		return nil, fmt.Errorf("client: target %s: %w: negative length", t.Name, repository.ErrLengthMismatch)
	}
	if data, err := c.cache.read(targetFile(t.Name), t.Length); err == nil && data != nil && t.Verify(data) == nil {
		return data, nil
	}
	p := t.Path(v.repo.Root().ConsistentSnapshot())
	data, err := c.src.target(ctx, strings.TrimPrefix(p, "targets/"), t.Length)
	var long *tooLongError
	if errors.As(err, &long) {
		return nil, fmt.Errorf("%w: %w: target %s is listed with %d bytes", err, repository.ErrLengthMismatch, t.Name, t.Length)
	}
	if err != nil {
		return nil, err
	}
	if err := t.Verify(data); err != nil {
		return nil, fmt.Errorf("client: %s: %w", p, err)
	}
	if err := c.cache.write(targetFile(t.Name), data); err != nil {
		return nil, err
	}
	return data, nil
}

// TrustedRootTarget is the name of the target that holds Sigstore's
// trusted root, which sigstore-go parses.
const TrustedRootTarget = "trusted_root.json"

// TrustedRoot downloads Sigstore's trusted_root.json, verified, for
// sigstore-go's root.NewTrustedRootFromJSON.
func (c *Client) TrustedRoot(ctx context.Context) ([]byte, error) {
	return c.Download(ctx, TrustedRootTarget)
}

// Sigstore is the custom metadata Sigstore's repositories give a target,
// {"sigstore": {"usage": "Fulcio", "status": "Active", "uri": "..."}}, and
// a filter for Select.
type Sigstore struct {
	// Usage says what the target is for: "Fulcio", "Rekor", "CTFE",
	// "TSA", ...
	Usage string `json:"usage"`
	// Status is "Active" or "Expired".
	Status string `json:"status"`
	// URI is the service's URL, when given.
	URI string `json:"uri"`
}

// SigstoreOf decodes a target's Sigstore custom metadata; a target without
// any gives the zero Sigstore.
func SigstoreOf(t repository.Target) (Sigstore, error) {
	var c struct {
		Sigstore Sigstore `json:"sigstore"`
	}
	if err := t.DecodeCustom(&c); err != nil {
		return Sigstore{}, err
	}
	return c.Sigstore, nil
}

// Matches reports whether s has what the filter f asks for: each field of
// f that is not "" must equal s's (usage and status ignoring case).
func (f Sigstore) Matches(s Sigstore) bool {
	return (f.Usage == "" || strings.EqualFold(f.Usage, s.Usage)) &&
		(f.Status == "" || strings.EqualFold(f.Status, s.Status)) &&
		(f.URI == "" || f.URI == s.URI)
}

// Select lists the trusted targets, delegated ones included, whose
// Sigstore custom metadata matches filter, for instance
// Sigstore{Usage: "Fulcio", Status: "Active"}. Targets whose custom
// metadata does not decode are left out.
func (c *Client) Select(ctx context.Context, filter Sigstore) ([]repository.Target, error) {
	all, err := c.Targets(ctx)
	if err != nil {
		return nil, err
	}
	var out []repository.Target
	for _, t := range all {
		if s, err := SigstoreOf(t); err == nil && s != (Sigstore{}) && filter.Matches(s) {
			out = append(out, t)
		}
	}
	return out, nil
}
