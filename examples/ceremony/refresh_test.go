package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// fileFetcher serves go-tuf's updater from a repository directory, as an
// HTTP mirror of it would: a missing file is a 404.
type fileFetcher struct{ dir, base string }

func (f fileFetcher) DownloadFile(url string, maxLength int64, _ time.Duration) ([]byte, error) {
	name, ok := strings.CutPrefix(url, f.base)
	if !ok {
		return nil, fmt.Errorf("fetch of %s outside %s", url, f.base)
	}
	data, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(strings.TrimPrefix(name, "/"))))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: 404, URL: url}
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxLength {
		return nil, fmt.Errorf("%s is larger than %d bytes", url, maxLength)
	}
	return data, nil
}

// goTUFClient follows a repository as a go-tuf client that restarts every
// time: it starts from the root it cached last time, with the timestamp
// and snapshot it cached for rollback protection.
type goTUFClient struct {
	repo, cache string
}

func (c *goTUFClient) update(now time.Time) (int64, error) {
	trusted, err := os.ReadFile(filepath.Join(c.cache, "root.json"))
	if err != nil {
		return 0, err
	}
	const base = "https://tuf.example.invalid"
	cfg, err := config.New(base, trusted)
	if err != nil {
		return 0, err
	}
	cfg.LocalMetadataDir = c.cache
	cfg.LocalTargetsDir = filepath.Join(c.cache, "targets")
	cfg.RemoteTargetsURL = base + "/targets"
	cfg.Fetcher = fileFetcher{dir: c.repo, base: base}
	up, err := updater.New(cfg)
	if err != nil {
		return 0, err
	}
	up.UnsafeSetRefTime(now)
	if err := up.Refresh(); err != nil {
		return 0, err
	}
	if _, err := up.GetTargetInfo("ca.pem"); err != nil {
		return 0, err
	}
	return up.GetTrustedMetadataSet().Root.Signed.Version, nil
}

// TestRefreshKeepsRepositoryAliveForAYear runs the scheduled jobs once a
// day for a simulated year: ceremony refresh, which re-signs the online
// metadata with KMS keys (the persistent test stand-in) when it expires
// within two days, and ceremony expiry, which calls the keyholders to a
// signing event within the root's 30-day signing period. Every day, right
// before and after the jobs, a go-tuf client and this project's verifier
// (verify.Repository, carrying its State over) follow the repository:
// neither ever sees expired metadata. Before refresh existed, the
// repository's timestamp expired 7 days after the ceremony and every
// client failed from then on.
func TestRefreshKeepsRepositoryAliveForAYear(t *testing.T) {
	start := time.Date(2027, 1, 4, 3, 0, 0, 0, time.UTC)
	tl := newTool(t)
	tl.dir = fastTempDir(t)
	tl.now = start
	tl.must("init", "-name", "year", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", testKMSSigners("year"))
	holders := []string{"alice", "bob", "carol"}
	for _, h := range holders {
		tl.must("enroll", "-holder", h, "-token", "fake")
	}
	tl.must("stage")
	for _, h := range holders[:2] {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, ca, []byte("a CA certificate"))
	tl.must("targets", "add", "ca.pem", ca, "-custom", `{"sigstore":{"usage":"Fulcio","status":"Active"}}`)

	repoDir := tl.path("repository")
	v1 := tl.read("repository/1.root.json")
	trusted, err := root.Parse(v1)
	if err != nil {
		t.Fatal(err)
	}
	gotuf := &goTUFClient{repo: repoDir, cache: t.TempDir()}
	writeFile(t, filepath.Join(gotuf.cache, "root.json"), v1)
	var state *verify.State

	follow := func(day int, when string, now time.Time) {
		t.Helper()
		v, err := gotuf.update(now)
		if err != nil {
			t.Fatalf("day %d, %s (%s): go-tuf's client: %v", day, when, formatTime(now), err)
		}
		repo, err := verify.Repository(trusted, os.DirFS(repoDir), state, verify.Options{Now: now})
		if err != nil {
			t.Fatalf("day %d, %s (%s): verify.Repository: %v", day, when, formatTime(now), err)
		}
		if repo.Root().Version() != v {
			t.Fatalf("day %d: go-tuf trusts root v%d, verify.Repository v%d", day, v, repo.Root().Version())
		}
		if _, err := repo.Target("ca.pem", verify.FSLoader(os.DirFS(repoDir))); err != nil {
			t.Fatalf("day %d: verify.Repository finds no ca.pem: %v", day, err)
		}
		st := repo.State()
		state = &st
	}

	var resigned, rotations, reminders int
	for day := 1; day <= 365; day++ {
		now := start.AddDate(0, 0, day)
		tl.now = now
		follow(day, "before the jobs", now)

		r := tl.must("refresh", "-window", "2d")
		if strings.Contains(r.stdout, "Re-signed") {
			resigned++
		} else if !strings.Contains(r.stdout, "Nothing to re-sign") {
			t.Fatalf("day %d: refresh says neither what it re-signed nor that nothing was due: %v", day, r)
		}
		if len(tempFiles(t, tl.dir)) > 0 {
			t.Fatalf("day %d: refresh left temporary files: %v", day, tempFiles(t, tl.dir))
		}

		r = tl.in("expiry", "-signing-period", "30d")
		switch r.code {
		case 0:
		case 1:
			// The signing event: a rotation that keeps the keys.
			reminders++
			if !strings.Contains(r.stdout, "within its signing period of 30 days") {
				t.Fatalf("day %d: expiry: %v", day, r)
			}
			tl.must("stage")
			for _, h := range holders[1:] {
				tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
			}
			tl.must("publish")
			rotations++
		default:
			t.Fatalf("day %d: expiry: %v", day, r)
		}
		follow(day, "after the jobs", now.Add(12*time.Hour))
	}
	tl.must("verify")
	t.Logf("a year: %d refreshes re-signed something, %d root rotations after %d reminders", resigned, rotations, reminders)
	// 7-day timestamps are re-signed two days before they expire, 14-day
	// snapshots (with a timestamp) likewise: three refreshes in twelve
	// days, about 90 a year. Roots of 180 days are rotated 30 days before
	// they expire.
	if resigned < 80 || resigned > 100 {
		t.Errorf("%d refreshes re-signed something in a year, want about 90", resigned)
	}
	if rotations != 2 || reminders != 2 {
		t.Errorf("%d rotations after %d reminders in a year, want 2 of each", rotations, reminders)
	}
}

// TestRefreshDoesOnlyWhatIsDue: refresh re-signs exactly the metadata that
// expires within the window (and what names it), says what it did, and
// exits 0 when nothing is due.
func TestRefreshDoesOnlyWhatIsDue(t *testing.T) {
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	tl := newTool(t)
	tl.now = start
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	versions := func() string {
		o, err := openRepo(tl.env(os.Stdout, os.Stderr), tl.dir).loadOnline()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("targets v%d, snapshot v%d, timestamp v%d", o.targets.Version(), o.snapshot.Version(), o.timestamp.Version())
	}
	for _, c := range []struct {
		day  int
		want string
		out  string
	}{
		{1, "targets v1, snapshot v1, timestamp v1", "Nothing to re-sign"},
		{5, "targets v1, snapshot v1, timestamp v2", "Re-signed timestamp v2"},   // 7-day timestamp within 2 days
		{12, "targets v1, snapshot v2, timestamp v3", "Re-signed snapshot v2 ("}, // 14-day snapshot
		{13, "targets v1, snapshot v2, timestamp v3", "Nothing to re-sign"},
		{88, "targets v2, snapshot v3, timestamp v4", "Re-signed targets v2"}, // 90-day targets, everything else expired
	} {
		tl.now = start.AddDate(0, 0, c.day)
		before := treeContents(t, tl.path("repository"))
		r := tl.must("refresh")
		if got := versions(); got != c.want || !strings.Contains(r.stdout, c.out) {
			t.Fatalf("day %d: refresh left %s, want %s: %v", c.day, got, c.want, r)
		}
		if c.out == "Nothing to re-sign" && len(before) != len(treeContents(t, tl.path("repository"))) {
			t.Fatalf("day %d: refresh with nothing due wrote files", c.day)
		}
		if c.day == 88 && !strings.Contains(r.stdout, "timestamp v3 expired") {
			t.Errorf("day 88: refresh does not say the timestamp had expired: %v", r)
		}
		tl.must("verify")
	}
	if r := tl.in("refresh", "-window", "two days"); r.code != 2 || !strings.Contains(r.stderr, "give a number of days") {
		t.Fatalf("refresh -window 'two days': %v", r)
	}
}

// TestExpiryReminder: expiry exits non-zero exactly when the root expires
// within its signing period, or has expired, and says so in days.
func TestExpiryReminder(t *testing.T) {
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	tl := newTool(t)
	tl.now = start
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish") // expires after 180 days
	for _, c := range []struct {
		day    int
		period string
		code   int
		want   string
	}{
		{0, "30d", 0, "expires on 2027-08-28T00:00:00Z, in 180 days; its signing period of 30 days starts on 2027-07-29"},
		{149, "30d", 0, "in 31 days"},
		{150, "30d", 1, "in 30 days: within its signing period of 30 days"},
		{100, "90d", 1, "within its signing period of 90 days"},
		{180, "30d", 1, "Root v1 expired on 2027-08-28T00:00:00Z"},
	} {
		tl.now = start.AddDate(0, 0, c.day)
		r := tl.in("expiry", "-signing-period", c.period)
		if r.code != c.code || !strings.Contains(r.stdout, c.want) {
			t.Errorf("day %d, -signing-period %s: %v\nwant exit %d and %q", c.day, c.period, r, c.code, c.want)
		}
	}
	tl.now = start.AddDate(0, 0, 160)
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	if r := tl.in("expiry"); r.code != 1 || !strings.Contains(r.stdout, "Root v2 is staged; it needs 4 more signatures") {
		t.Errorf("expiry with v2 staged: %v", r)
	}
}
