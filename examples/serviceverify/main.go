package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"time"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
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

// Errors a service reacts to; the causes from package verify (ErrExpired,
// ErrRollback, ErrThreshold, ...) stay reachable with errors.Is.
var (
	errNoActiveTarget = errors.New("serviceverify: no active target")
	errTargetMissing  = errors.New("serviceverify: target file missing")
)

// maxTargetSize bounds every target file a service loads.
const maxTargetSize = 1 << 20

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("serviceverify", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	rootFile := fl.String("root", "", "trusted root `FILE` to start from (a service embeds it)")
	repoDir := fl.String("repo", "", "repository `DIR` (a local mirror)")
	repoURL := fl.String("url", "", "repository base `URL` (an HTTP mirror)")
	usage := fl.String("usage", "", "what this service is: Fulcio, Rekor or TSA")
	stateFile := fl.String("state", "", "`FILE` remembering the trusted versions between runs")
	at := fl.String("at", "", "reference `TIME` (RFC 3339) for expiry; default now")
	every := fl.Duration("every", 0, "refresh this often until interrupted; 0 refreshes once")
	const synopsis = "serviceverify -root FILE (-repo DIR | -url URL) -usage Fulcio|Rekor|TSA [-state FILE] [-at TIME] [-every DURATION]"
	if err := fl.Parse(args); errors.Is(err, flag.ErrHelp) {
		// -h: the synopsis and every flag, then a clean exit.
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
	var now time.Time
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("serviceverify: -at: %w", err)
		}
		now = t
	}
	trusted, err := parseRootFile(*rootFile)
	if err != nil {
		return err
	}
	svc := &Service{Usage: *usage, Trusted: trusted}
	if *stateFile != "" {
		if err := svc.loadState(*stateFile); err != nil {
			return err
		}
	}
	source := func() (fs.FS, string) {
		if *repoURL != "" {
			return NewHTTPFS(ctx, *repoURL), *repoURL
		}
		return os.DirFS(*repoDir), *repoDir
	}
	for started := false; ; started = true {
		fsys, where := source()
		err := svc.Refresh(fsys, now)
		switch {
		case err != nil && !started:
			return fmt.Errorf("%w (repository %s)", err, where) // nothing to serve with
		case err != nil:
			// A running service keeps what it trusted and tries again.
			fmt.Fprintf(stdout, "refresh failed, keeping %s: %v\n", svc.versions, err)
		default:
			svc.report(stdout)
		}
		if *stateFile != "" {
			if err := svc.saveState(*stateFile); err != nil {
				return err
			}
		}
		if *every <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*every):
		}
	}
}

// parseRootFile reads the root the service starts from.
func parseRootFile(name string) (*root.Root, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("serviceverify: trusted root: %w", err)
	}
	r, err := root.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("serviceverify: trusted root %s: %w", name, err)
	}
	return r, nil
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

// Service is what a service keeps between refreshes: the newest root it
// trusts, the metadata versions it saw (to refuse rollbacks), and the
// material currently active for its usage.
type Service struct {
	// Usage selects the targets: those whose custom metadata says
	// {"sigstore": {"usage": Usage, "status": "Active"}}.
	Usage string
	// Trusted is the newest root trusted so far; updates start from it.
	Trusted *root.Root
	// State is what the last update trusted, nil before the first.
	State *verify.State
	// Active is the material loaded by the last update.
	Active []Material

	versions string // for messages
}

// Refresh updates from one copy of the repository. On any error the
// service keeps what it trusted before.
func (s *Service) Refresh(fsys fs.FS, now time.Time) error {
	repo, err := verify.Repository(s.Trusted, fsys, s.State, verify.Options{Now: now})
	if err != nil {
		return fmt.Errorf("serviceverify: update from root v%d: %s: %w", s.Trusted.Version(), explain(err), err)
	}
	tm, _ := repo.Metadata(root.RoleTargets)
	var active []Material
	for _, t := range tm.Targets() {
		var c struct {
			Sigstore struct{ Usage, Status string } `json:"sigstore"`
		}
		if err := t.DecodeCustom(&c); err != nil || c.Sigstore.Usage != s.Usage || c.Sigstore.Status != "Active" {
			continue
		}
		m, err := loadTarget(fsys, repo.Root().ConsistentSnapshot(), t)
		if err != nil {
			return fmt.Errorf("serviceverify: targets v%d: %w", tm.Version(), err)
		}
		active = append(active, m)
	}
	if len(active) == 0 {
		return fmt.Errorf("%w for usage %q in targets v%d", errNoActiveTarget, s.Usage, tm.Version())
	}
	st := repo.State()
	s.Trusted, s.State, s.Active = repo.Root(), &st, active
	s.versions = fmt.Sprintf("root v%d (expires %s), timestamp v%d, snapshot v%d, targets v%d",
		repo.Root().Version(), repo.Root().Expires().UTC().Format(time.RFC3339), repo.Timestamp().Version(), repo.Snapshot().Version(), tm.Version())
	return nil
}

// explain says in a few words what a verification failure means for the
// service.
func explain(err error) string {
	var exp *verify.ExpiredError
	switch {
	case errors.As(err, &exp) && exp.Role == "root":
		return "the newest root has expired; its keyholders must sign and publish a new one"
	case errors.As(err, &exp):
		return fmt.Sprintf("the %s metadata has expired; its online signer must publish a new one", exp.Role)
	case errors.Is(err, verify.ErrRollback):
		return "the repository is older than one this service already trusted (rollback)"
	case errors.Is(err, verify.ErrThreshold):
		return "metadata lacks the signatures the root requires"
	case errors.Is(err, verify.ErrMissing), errors.Is(err, fs.ErrNotExist):
		return "the repository is incomplete"
	}
	return "the repository did not verify"
}

// loadTarget reads a target file, checks it against its trusted length and
// hashes, and decodes the PEM certificate or public key in it.
func loadTarget(fsys fs.FS, consistent bool, t repository.Target) (Material, error) {
	if t.Length > maxTargetSize {
		return Material{}, fmt.Errorf("target %s: %d bytes, more than %d", t.Name, t.Length, maxTargetSize)
	}
	file := path.Join("targets", t.Name)
	if consistent {
		dir, base := path.Split(t.Name)
		file = path.Join("targets", dir, t.Hashes["sha256"]+"."+base)
	}
	f, err := fsys.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Material{}, fmt.Errorf("%w: %s is listed (%d bytes) but %s is not in the repository: %w", errTargetMissing, t.Name, t.Length, file, err)
	}
	if err != nil {
		return Material{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, t.Length+1))
	if err != nil {
		return Material{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	if err := t.Verify(data); err != nil {
		return Material{}, fmt.Errorf("target %s does not match its metadata: %w", t.Name, err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		return Material{}, fmt.Errorf("target %s: not PEM", t.Name)
	}
	m := Material{Target: t.Name}
	switch blk.Type {
	case "CERTIFICATE":
		m.Certificate, err = x509.ParseCertificate(blk.Bytes)
		if m.Certificate != nil {
			m.PublicKey = m.Certificate.PublicKey
		}
	case "PUBLIC KEY":
		m.PublicKey, err = x509.ParsePKIXPublicKey(blk.Bytes)
	default:
		err = fmt.Errorf("PEM block %q, want CERTIFICATE or PUBLIC KEY", blk.Type)
	}
	if err != nil {
		return Material{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	return m, nil
}

func (s *Service) report(w io.Writer) {
	fmt.Fprintf(w, "trusted: %s\n", s.versions)
	for _, m := range s.Active {
		if c := m.Certificate; c != nil {
			fmt.Fprintf(w, "%s: loaded %s: certificate %q, valid until %s\n", s.Usage, m.Target, c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339))
			continue
		}
		der, _ := x509.MarshalPKIXPublicKey(m.PublicKey)
		fmt.Fprintf(w, "%s: loaded %s: %T public key (%d bytes DER)\n", s.Usage, m.Target, m.PublicKey, len(der))
	}
}

// loadState reads the versions a previous run trusted. The service still
// starts from its built-in root: walking the chain again is cheap, and the
// remembered root version makes an older chain a rollback.
func (s *Service) loadState(name string) error {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // first run
	}
	if err != nil {
		return fmt.Errorf("serviceverify: state: %w", err)
	}
	var st verify.State
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("serviceverify: state %s: %w", name, err)
	}
	s.State = &st
	return nil
}

func (s *Service) saveState(name string) error {
	data, err := json.MarshalIndent(s.State, "", "  ")
	if err != nil {
		return fmt.Errorf("serviceverify: state: %w", err)
	}
	return writeAtomic(name, append(data, '\n'))
}

// writeAtomic writes a file so that a crash leaves the old or the new
// content, never a mix: temporary file, fsync, rename.
func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("serviceverify: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("serviceverify: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("serviceverify: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("serviceverify: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("serviceverify: %w", err)
	}
	return nil
}
