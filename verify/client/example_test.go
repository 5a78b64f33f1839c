package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/verify/client"
)

// A service loads the active Fulcio certificate from a repository served
// over HTTP, caching what it trusts so that a restart goes on from there.
func Example() {
	ctx := context.Background()
	repoDir, _ := os.MkdirTemp("", "repository")
	defer os.RemoveAll(repoDir)
	firstRoot := publishExample(repoDir) // the program ships this (go:embed)
	srv := httptest.NewServer(http.FileServer(http.Dir(repoDir)))
	defer srv.Close()
	cacheDir, _ := os.MkdirTemp("", "tuf-cache")
	defer os.RemoveAll(cacheDir)

	c, err := client.New(client.Options{Root: firstRoot, MetadataURL: srv.URL, CacheDir: cacheDir})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Refresh(ctx); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := c.Status()
	fmt.Printf("root v%d, timestamp v%d\n", st.Root, st.Timestamp)
	active, err := c.Select(ctx, client.Sigstore{Usage: "Fulcio", Status: "Active"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range active {
		pem, err := c.Download(ctx, t.Name) // length and hashes checked
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d bytes\n", t.Name, len(pem))
	}

	// A restart with the same cache starts from what was trusted.
	again, err := client.New(client.Options{Root: firstRoot, MetadataURL: srv.URL, CacheDir: cacheDir})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ = again.Status()
	fmt.Printf("after a restart: root v%d from the cache: %v\n", st.Root, st.FromCache)
	// Output:
	// root v2, timestamp v2
	// fulcio_v2.crt.pem: 64 bytes
	// after a restart: root v2 from the cache: true
}

// publishExample publishes a repository with an active and an expired
// Fulcio certificate and one root rotation, and returns its 1.root.json.
func publishExample(dir string) []byte {
	r, err := testrepo.New(dir, "example", time.Now().AddDate(1, 0, 0))
	if err != nil {
		panic(err)
	}
	for _, err := range []error{
		r.AddTarget("fulcio_v2.crt.pem", fulcioPEM, `{"sigstore":{"usage":"Fulcio","status":"Active"}}`),
		r.AddTarget("fulcio.crt.pem", oldFulcioPEM, `{"sigstore":{"usage":"Fulcio","status":"Expired"}}`),
		r.Publish(),
		r.RotateRootKey(),
		r.Publish(),
	} {
		if err != nil {
			panic(err)
		}
	}
	return r.RootFile(1)
}
