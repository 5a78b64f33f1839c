package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTPError is a response other than 200 OK. A 404 Not Found matches
// fs.ErrNotExist.
type HTTPError struct {
	// URL is the URL requested, without credentials.
	URL string
	// StatusCode is the response's status code, e.g. 503.
	StatusCode int
	// Status is the response's status line, e.g. "503 Service Unavailable".
	Status string
}

// Error names the URL and the status.
func (e *HTTPError) Error() string { return fmt.Sprintf("client: GET %s: %s", e.URL, e.Status) }

// Is reports whether a 404 is being matched against fs.ErrNotExist.
func (e *HTTPError) Is(target error) bool {
	return target == fs.ErrNotExist && e.StatusCode == http.StatusNotFound
}

// tooLongError is a response longer than the bound it was read with.
type tooLongError struct {
	where     string
	max       int64
	announced int64 // the Content-Length, when that told
}

func (e *tooLongError) Error() string {
	if e.announced > 0 {
		return fmt.Sprintf("client: %s: the server announces %d bytes, more than the %d allowed", e.where, e.announced, e.max)
	}
	return fmt.Sprintf("client: %s: more than %d bytes", e.where, e.max)
}

// source is where a repository's files come from. Every read is bounded:
// a file longer than max fails with a *tooLongError.
type source interface {
	// meta reads a metadata file, named as the repository names it
	// (N.root.json, timestamp.json, VERSION.ROLE.json with the role
	// path-escaped).
	meta(ctx context.Context, file string, max int64) ([]byte, error)
	// target reads a target file by its path under the targets
	// directory (DIR/HASH.BASE with consistent snapshots).
	target(ctx context.Context, path string, max int64) ([]byte, error)
}

// httpSource fetches files over HTTP(S).
type httpSource struct {
	client    *http.Client
	meta0     *url.URL
	targets0  *url.URL
	timeout   time.Duration
	userAgent string
}

// parseBase checks a base URL: http or https, a host, no query or
// fragment. The path loses its trailing slash.
func parseBase(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", what, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("client: %s %q: want an http or https URL with a host and no query or fragment", what, u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

// meta fetches BASE/file. The file name is used as the repository names
// it, already path-escaped: a delegated role "a/b" is VERSION.a%2Fb.json,
// as go-tuf and python-tuf request it.
func (h *httpSource) meta(ctx context.Context, file string, max int64) ([]byte, error) {
	if file == "" || strings.ContainsAny(file, "/?#\\") || file == "." || file == ".." {
		return nil, fmt.Errorf("client: refusing to fetch metadata file %q", file)
	}
	return h.get(ctx, h.meta0.String()+"/"+file, max)
}

// target fetches BASE/path, each path element escaped.
func (h *httpSource) target(ctx context.Context, p string, max int64) ([]byte, error) {
	if !fs.ValidPath(p) || p == "." {
		return nil, fmt.Errorf("client: refusing to fetch target path %q", p)
	}
	elems := strings.Split(p, "/")
	for i, e := range elems {
		elems[i] = url.PathEscape(e)
	}
	return h.get(ctx, h.targets0.String()+"/"+strings.Join(elems, "/"), max)
}

// get fetches u, reading at most max+1 bytes of the body, within the
// per-request timeout.
func (h *httpSource) get(ctx context.Context, u string, max int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w", u, err)
	}
	shown := req.URL.Redacted()
	if h.userAgent != "" {
		req.Header.Set("User-Agent", h.userAgent)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// *url.Error already names the method and URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("client: %w", err)
		}
		return nil, fmt.Errorf("client: GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{URL: shown, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	if resp.ContentLength > max {
		return nil, &tooLongError{where: "GET " + shown, max: max, announced: resp.ContentLength}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: reading the response after %d bytes: %w", shown, len(data), err)
	}
	if int64(len(data)) > max {
		return nil, &tooLongError{where: "GET " + shown, max: max}
	}
	return data, nil
}

// fsSource reads files from file systems.
type fsSource struct {
	metaFS, targetsFS fs.FS
}

func (f *fsSource) meta(ctx context.Context, file string, max int64) ([]byte, error) {
	if strings.Contains(file, "/") {
		return nil, fmt.Errorf("client: refusing to read metadata file %q", file)
	}
	return readFS(ctx, f.metaFS, file, max)
}

func (f *fsSource) target(ctx context.Context, p string, max int64) ([]byte, error) {
	return readFS(ctx, f.targetsFS, p, max)
}

func readFS(ctx context.Context, fsys fs.FS, name string, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("client: reading %s: %w", name, err)
	}
	if !fs.ValidPath(name) || name == "." {
		return nil, fmt.Errorf("client: refusing to read %q", name)
	}
	file, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, max+1))
	if err != nil {
		return nil, fmt.Errorf("client: reading %s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, &tooLongError{where: name, max: max}
	}
	return data, nil
}
