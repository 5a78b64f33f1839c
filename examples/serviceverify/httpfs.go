package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxDownload bounds every file fetched from a mirror; package verify and
// loadTarget apply their own, tighter bounds to what they read.
const maxDownload = 16 << 20

// HTTPFS is a read-only fs.FS over an HTTP mirror of a TUF repository: Open
// fetches the file into memory (bounded in size and time). A 404 is
// fs.ErrNotExist, which is how verify.Repository learns that there is no
// newer root. Nothing is trusted here; package verify checks every byte.
type HTTPFS struct {
	ctx    context.Context
	base   *url.URL
	client *http.Client
}

// NewHTTPFS returns the mirror at base. Requests end when ctx does.
func NewHTTPFS(ctx context.Context, base string) *HTTPFS {
	u, err := url.Parse(strings.TrimSuffix(base, "/") + "/")
	if err != nil {
		u = &url.URL{Opaque: base} // Open reports the bad URL
	}
	return &HTTPFS{ctx: ctx, base: u, client: &http.Client{Timeout: 30 * time.Second}}
}

// Open fetches name from the mirror.
func (h *HTTPFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if h.base.Scheme != "http" && h.base.Scheme != "https" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("mirror URL %q is not http(s)", h.base.String())}
	}
	u := h.base.JoinPath(name)
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case resp.StatusCode != http.StatusOK:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("GET %s: %s", u.Redacted(), resp.Status)}
	case resp.ContentLength > maxDownload:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("GET %s: %d bytes, more than %d", u.Redacted(), resp.ContentLength, maxDownload)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("GET %s: %w", u.Redacted(), err)}
	}
	if len(data) > maxDownload {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("GET %s: more than %d bytes", u.Redacted(), maxDownload)}
	}
	return &memFile{Reader: bytes.NewReader(data), info: memInfo{name: name, size: int64(len(data))}}, nil
}

// memFile is a fetched file held in memory.
type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name[strings.LastIndex(i.name, "/")+1:] }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
