package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/trustroot/trustroot/verify"
	"github.com/trustroot/trustroot/verify/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errNoActiveTarget means the repository marks no target active for the
// service's usage. The causes from packages verify and client (ErrExpired,
// ErrRollback, ErrThreshold, ErrHashMismatch, ...) stay reachable with
// errors.Is.
var errNoActiveTarget = errors.New("serviceverify: no active target")

const synopsis = "serviceverify -root FILE (-url URL | -repo DIR) -usage Fulcio|Rekor|TSA|CTFE [-cache DIR] [-every DURATION] [-at TIME]"

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("serviceverify", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	rootFile := fl.String("root", "", "trusted root `FILE` to start from (a service embeds it)")
	repoURL := fl.String("url", "", "repository base `URL` (an HTTP mirror)")
	repoDir := fl.String("repo", "", "repository `DIR` (a local mirror)")
	usage := fl.String("usage", "", "what this service is: Fulcio, Rekor, TSA or CTFE")
	cacheDir := fl.String("cache", "", "`DIR` keeping what the service trusts across restarts")
	every := fl.Duration("every", 0, "refresh every `DURATION` until interrupted; 0 refreshes once")
	at := fl.String("at", "", "reference `TIME` (RFC 3339) for expiry; default now")
	if err := fl.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: %s\n", synopsis)
		fl.SetOutput(stdout)
		fl.PrintDefaults()
		return nil
	} else if err != nil {
		return fmt.Errorf("serviceverify: %w", err)
	}
	if fl.NArg() > 0 || *rootFile == "" || *usage == "" || (*repoDir == "") == (*repoURL == "") {
		return errors.New("serviceverify: usage: " + synopsis)
	}
	opts := client.Options{MetadataURL: *repoURL, CacheDir: *cacheDir}
	if *repoDir != "" {
		opts.FS = os.DirFS(*repoDir)
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("serviceverify: -at: %w", err)
		}
		opts.Verify.Now = t
	}
	var err error
	if opts.Root, err = os.ReadFile(*rootFile); err != nil {
		return fmt.Errorf("serviceverify: trusted root: %w", err)
	}
	c, err := client.New(opts)
	if err != nil {
		return fmt.Errorf("serviceverify: %w", err)
	}
	svc := &Service{Client: c, Usage: *usage}
	return svc.Run(ctx, *every, stdout)
}

// Service keeps the material a service uses (its CA certificate, its log
// key) current: what the repository marks active for Usage.
type Service struct {
	Client *client.Client
	Usage  string

	mu     sync.Mutex
	active []Material
}

// Run loads the active material, then refreshes every `every` until ctx
// ends. A refresh that fails keeps the material loaded before. At start,
// an unreachable repository is not fatal if the cache holds a view that
// has not expired.
func (s *Service) Run(ctx context.Context, every time.Duration, log io.Writer) error {
	if err := s.Refresh(ctx); err != nil {
		if _, cached := s.Client.Status(); !cached || s.load(ctx) != nil {
			return fmt.Errorf("serviceverify: %s: %w", explain(err), err)
		}
		fmt.Fprintf(log, "refresh failed, starting from the cache: %v\n", err)
	}
	s.report(log)
	for every > 0 {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
		if err := s.Refresh(ctx); err != nil {
			fmt.Fprintf(log, "refresh failed, keeping %d %s targets: %s: %v\n", len(s.Active()), s.Usage, explain(err), err)
		} else {
			s.report(log)
		}
	}
	return nil
}

// Refresh updates the client from the repository and loads the material
// it marks active.
func (s *Service) Refresh(ctx context.Context) error {
	if err := s.Client.Refresh(ctx); err != nil {
		return err
	}
	return s.load(ctx)
}

// load downloads and parses every target the client trusts as active for
// the service's usage, and swaps them in all at once.
func (s *Service) load(ctx context.Context) error {
	targets, err := s.Client.Select(ctx, client.Sigstore{Usage: s.Usage, Status: "Active"})
	if err != nil {
		return err
	}
	var active []Material
	for _, t := range targets {
		data, err := s.Client.Download(ctx, t.Name) // length and hashes checked
		if err != nil {
			return err
		}
		m, err := parseMaterial(t.Name, data)
		if err != nil {
			return err
		}
		active = append(active, m)
	}
	if len(active) == 0 {
		return fmt.Errorf("%w for usage %q", errNoActiveTarget, s.Usage)
	}
	s.mu.Lock()
	s.active = active
	s.mu.Unlock()
	return nil
}

// Active returns the material currently in use.
func (s *Service) Active() []Material {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Material is one key or certificate the service loaded.
type Material struct {
	// Target is the target's name in the repository.
	Target string
	// Certificate is set for a PEM certificate.
	Certificate *x509.Certificate
	// PublicKey is the certificate's key or a PEM public key.
	PublicKey crypto.PublicKey
}

// parseMaterial decodes the PEM certificate or public key in a target.
func parseMaterial(name string, data []byte) (Material, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return Material{}, fmt.Errorf("serviceverify: target %s: not PEM", name)
	}
	m := Material{Target: name}
	var err error
	switch blk.Type {
	case "CERTIFICATE":
		if m.Certificate, err = x509.ParseCertificate(blk.Bytes); err == nil {
			m.PublicKey = m.Certificate.PublicKey
		}
	case "PUBLIC KEY":
		m.PublicKey, err = x509.ParsePKIXPublicKey(blk.Bytes)
	default:
		err = fmt.Errorf("PEM block %q, want CERTIFICATE or PUBLIC KEY", blk.Type)
	}
	if err != nil {
		return Material{}, fmt.Errorf("serviceverify: target %s: %w", name, err)
	}
	return m, nil
}

// explain says in a few words what a failure means for the service.
func explain(err error) string {
	var exp *verify.ExpiredError
	switch {
	case errors.As(err, &exp) && exp.Role == "root":
		return "the newest root has expired; its keyholders must sign and publish a new one"
	case errors.As(err, &exp):
		return fmt.Sprintf("the %s metadata has expired; its online signer must publish a new one", exp.Role)
	case errors.Is(err, verify.ErrRollback):
		return "the repository is older than what this service already trusted (rollback)"
	case errors.Is(err, verify.ErrThreshold):
		return "metadata lacks the signatures the root requires"
	case errors.Is(err, errNoActiveTarget):
		return "nothing to serve with"
	}
	return "the repository did not verify"
}

func (s *Service) report(w io.Writer) {
	if st, ok := s.Client.Status(); ok {
		fmt.Fprintf(w, "trusted: root v%d, timestamp v%d, snapshot v%d, targets v%d, valid until %s\n",
			st.Root, st.Timestamp, st.Snapshot, st.Targets, st.Expires.UTC().Format(time.RFC3339))
	}
	for _, m := range s.Active() {
		if c := m.Certificate; c != nil {
			fmt.Fprintf(w, "%s: loaded %s: certificate %q, valid until %s\n", s.Usage, m.Target, c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339))
			continue
		}
		fmt.Fprintf(w, "%s: loaded %s: %T public key\n", s.Usage, m.Target, m.PublicKey)
	}
}
