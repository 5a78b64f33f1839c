package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

// TestInterruptedDownload: a connection cut half-way through a target
// fails the download, leaves nothing in the cache, and the next attempt
// succeeds.
func TestInterruptedDownload(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	c := newClient(t, r, srv, dir)
	ctx := t.Context()
	must(t, c.Refresh(ctx))
	p := targetPath(t, c, "fulcio_v2.crt.pem")

	for _, announce := range []bool{true, false} {
		srv.on(p, func(w http.ResponseWriter, _ *http.Request) {
			if announce {
				w.Header().Set("Content-Length", strconv.Itoa(len(fulcioPEM)))
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(fulcioPEM[:len(fulcioPEM)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // cut the connection
		})
		_, err := c.Download(ctx, "fulcio_v2.crt.pem")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Content-Length %v: a cut download: %v", announce, err)
		}
		if files := cacheFiles(t, dir); files["targets/fulcio_v2.crt.pem"] {
			t.Fatal("half a target is in the cache")
		}
	}

	// Half the file, then a clean end of the response.
	srv.on(p, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(fulcioPEM[:len(fulcioPEM)/2]) })
	if _, err := c.Download(ctx, "fulcio_v2.crt.pem"); !errors.Is(err, repository.ErrLengthMismatch) {
		t.Fatalf("a short target: %v", err)
	}

	srv.on(p, nil)
	got, err := c.Download(ctx, "fulcio_v2.crt.pem")
	if err != nil || !bytes.Equal(got, fulcioPEM) {
		t.Fatalf("the retry: %q, %v", got, err)
	}
	if files := cacheFiles(t, dir); !files["targets/fulcio_v2.crt.pem"] {
		t.Error("the complete target is not in the cache")
	}
}

// TestTamperedTarget: content that does not match the trusted hashes or
// length is refused, whether it comes from the server or the cache.
func TestTamperedTarget(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	dir := t.TempDir()
	c := newClient(t, r, srv, dir)
	ctx := t.Context()
	must(t, c.Refresh(ctx))
	p := targetPath(t, c, "fulcio_v2.crt.pem")

	evil := bytes.ToUpper(fulcioPEM) // same length
	srv.on(p, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(evil) })
	if _, err := c.Download(ctx, "fulcio_v2.crt.pem"); !errors.Is(err, repository.ErrHashMismatch) {
		t.Fatalf("altered content: %v", err)
	}
	// Longer than listed: refused after reading one byte more than the
	// trusted length.
	var sent atomic.Int64
	srv.on(p, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte("x"), 1024)
		for i := 0; i < 1<<14; i++ {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	if _, err := c.Download(ctx, "fulcio_v2.crt.pem"); !errors.Is(err, repository.ErrLengthMismatch) {
		t.Fatalf("endless content: %v", err)
	}
	if cacheFiles(t, dir)["targets/fulcio_v2.crt.pem"] {
		t.Fatal("refused content reached the cache")
	}

	// The genuine file, cached; then the cached copy is altered on
	// disk: it is not used, and the download repairs it.
	srv.on(p, nil)
	if _, err := c.Download(ctx, "fulcio_v2.crt.pem"); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(dir, "targets", "fulcio_v2.crt.pem")
	must(t, os.WriteFile(cached, evil, 0o644))
	srv.reset()
	got, err := c.Download(ctx, "fulcio_v2.crt.pem")
	if err != nil || !bytes.Equal(got, fulcioPEM) {
		t.Fatalf("with a tampered cache: %q, %v", got, err)
	}
	if srv.count(p) != 1 {
		t.Errorf("the tampered cached copy was used (%d fetches)", srv.count(p))
	}
	if now, _ := os.ReadFile(cached); !bytes.Equal(now, fulcioPEM) {
		t.Error("the cache was not repaired")
	}
}

// TestOversizedResponse: every response is read up to its bound and no
// further.
func TestOversizedResponse(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	ctx := t.Context()
	endless := func(sent *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte(" "), 4096)
			for i := 0; i < 1<<16; i++ { // 256 MiB at most
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil || req.Context().Err() != nil {
					return
				}
			}
		}
	}

	// The timestamp has no listed length: its limit bounds it.
	var sent atomic.Int64
	srv.on("/timestamp.json", endless(&sent))
	c := newClient(t, r, srv, "")
	err := c.Refresh(ctx)
	if !errors.Is(err, verify.ErrTooLarge) || !strings.Contains(err.Error(), "timestamp.json") {
		t.Fatalf("an endless timestamp: %v", err)
	}
	if s := sent.Load(); s > 64<<20 {
		t.Errorf("the server wrote %d bytes before the client gave up", s)
	}

	// A smaller limit bounds it too.
	srv.on("/timestamp.json", nil)
	small := newClient(t, r, srv, "", func(o *client.Options) { o.Verify.Limits.Timestamp = 100 })
	if err := small.Refresh(ctx); !errors.Is(err, verify.ErrTooLarge) {
		t.Fatalf("a timestamp over Limits.Timestamp: %v", err)
	}

	// An announced length over the bound is refused before reading.
	srv.on("/2.root.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.WriteHeader(http.StatusOK)
	})
	if err := c.Refresh(ctx); !errors.Is(err, verify.ErrTooLarge) || !strings.Contains(err.Error(), "announces") {
		t.Fatalf("a root of 1 GiB: %v", err)
	}
	srv.on("/2.root.json", nil)

	// The snapshot's length is listed by the timestamp: one byte more
	// is a length mismatch.
	snap, err := r.ReadFile("1.snapshot.json")
	must(t, err)
	srv.on("/1.snapshot.json", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(append(snap, ' ')) })
	if err := c.Refresh(ctx); !errors.Is(err, repository.ErrLengthMismatch) {
		t.Fatalf("a snapshot longer than listed: %v", err)
	}
	srv.on("/1.snapshot.json", nil)

	// Delegated metadata, fetched by a lookup, within the targets
	// limit.
	must(t, c.Refresh(ctx))
	sent.Store(0)
	srv.on("/1.acme.json", endless(&sent))
	if _, err := c.Target(ctx, "acme/tool.pub"); !errors.Is(err, verify.ErrTooLarge) {
		t.Fatalf("endless delegated metadata: %v", err)
	}

	// A target larger than MaxTargetSize is not fetched at all.
	tiny := newClient(t, r, srv, "", func(o *client.Options) { o.MaxTargetSize = 10 })
	must(t, tiny.Refresh(ctx))
	srv.reset()
	if _, err := tiny.Download(ctx, "fulcio_v2.crt.pem"); !errors.Is(err, verify.ErrTooLarge) {
		t.Fatalf("a target over MaxTargetSize: %v", err)
	}
	if hasPrefix(srv.requests(), "/targets/") {
		t.Errorf("fetched %v", srv.requests())
	}
}

// TestSlowServer: a server that never answers is given up on at the
// per-request timeout, or when the caller's context ends; the trusted
// view stays.
func TestSlowServer(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	hang := func(w http.ResponseWriter, req *http.Request) { <-req.Context().Done() }
	ctx := t.Context()
	// Long enough for the first refresh on a loaded machine; the hanging
	// requests below wait it out.
	c := newClient(t, r, srv, "", func(o *client.Options) { o.Timeout = time.Second })
	must(t, c.Refresh(ctx))

	srv.on("/timestamp.json", hang)
	err := c.Refresh(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "/timestamp.json") {
		t.Fatalf("a timestamp that never comes: %v", err)
	}
	if _, ok := c.Status(); !ok {
		t.Fatal("the view was dropped")
	}

	// The caller's context: cancelled while the request hangs.
	patient := newClient(t, r, srv, "")
	cctx, cancel := context.WithCancel(ctx)
	srv.on("/timestamp.json", func(w http.ResponseWriter, req *http.Request) {
		cancel()
		<-req.Context().Done()
	})
	if err := patient.Refresh(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled refresh: %v", err)
	}

	// A target whose body stalls half-way.
	srv.on("/timestamp.json", nil)
	p := targetPath(t, c, "rekor.pub")
	srv.on(p, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(rekorPub)))
		_, _ = w.Write(rekorPub[:5])
		w.(http.Flusher).Flush()
		<-req.Context().Done()
	})
	if _, err := c.Download(ctx, "rekor.pub"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a stalled target: %v", err)
	}
}

// TestMissingDelegatedMetadata: delegated metadata the server does not
// have fails the lookup with verify.ErrMissing, not "not found": the
// target may exist.
func TestMissingDelegatedMetadata(t *testing.T) {
	r := fixture(t)
	srv := serve(t, r.Dir)
	c := newClient(t, r, srv, "")
	must(t, c.Refresh(t.Context()))
	srv.on("/1.acme.json", notFound)
	_, err := c.Target(t.Context(), "acme/tool.pub")
	if !errors.Is(err, verify.ErrMissing) || errors.Is(err, verify.ErrTargetNotFound) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("a missing acme.json: %v", err)
	}
	srv.on("/1.acme.json", nil)
	if _, err := c.Target(t.Context(), "acme/tool.pub"); err != nil {
		t.Fatalf("once it is back: %v", err)
	}
}

// TestTargetsURLAndUserAgent: target files come from Options.TargetsURL
// when it is set, and every request carries Options.UserAgent.
func TestTargetsURLAndUserAgent(t *testing.T) {
	r := fixture(t)
	meta := serve(t, r.Dir)
	files := serve(t, filepath.Join(r.Dir, "targets"))
	c := newClient(t, r, meta, "", func(o *client.Options) {
		o.TargetsURL = files.URL + "/"
		o.UserAgent = "fulcio/1.0"
	})
	must(t, c.Refresh(t.Context()))
	got, err := c.Download(t.Context(), "acme/tool.pub")
	if err != nil || !bytes.Equal(got, acmeTool) {
		t.Fatalf("%q, %v", got, err)
	}
	if hasPrefix(meta.requests(), "/targets/") || !hasPrefix(files.requests(), "/acme/") {
		t.Errorf("metadata server: %v; targets server: %v", meta.requests(), files.requests())
	}
	for _, s := range []*server{meta, files} {
		s.mu.Lock()
		if len(s.agents) != 1 || !s.agents["fulcio/1.0"] {
			t.Errorf("User-Agent headers %v", s.agents)
		}
		s.mu.Unlock()
	}
}
