package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// verifyReport is verify's result, printed as text or as one JSON object.
type verifyReport struct {
	Verified bool `json:"verified"`
	// FinalVersion is the last root version whose signatures verified.
	FinalVersion int64 `json:"final_version"`
	// Expires is that version's expiry.
	Expires *time.Time `json:"expires"`
	// ReferenceTime is the time expiry was checked against.
	ReferenceTime time.Time `json:"reference_time"`
	// TrustedVersion is the version the walk started from.
	TrustedVersion int64    `json:"trusted_version"`
	Warnings       []string `json:"warnings"`
	Error          string   `json:"error,omitempty"`
	// Checks lists what was verified, for people.
	Checks []string `json:"checks,omitempty"`
	// RootSHA256 is the digest of the final root's file form.
	RootSHA256 string `json:"root_sha256,omitempty"`
	// Steps lists every root version checked, oldest first: for each
	// threshold it had to meet, every key with its name and result. It
	// keeps the versions whose signatures verified when the final root
	// has expired, and ends with the version that failed, if one did.
	Steps []versionView `json:"steps"`
	// Policy flags weak policies of the verified roots.
	Policy []policyFinding `json:"policy"`

	// wallClock is the time the command runs (not -at): no root was
	// signed after it.
	wallClock time.Time
	// enrolled names keys by their enrolment (fingerprint -> keyholder)
	// where no root names them.
	enrolled map[string]string
}

func cmdVerify(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "verify", "[-C DIR] [-trusted FILE] [-at RFC3339] [-json] [-strict] | -chain DIR [-trusted FILE] [-at RFC3339] [-json] [-strict]")
	dir := repoFlag(f)
	chain := f.String("chain", "", "verify any `directory` of N.root.json files instead of a ceremony repository")
	trusted := f.String("trusted", "", "the trusted root `file` to start from, e.g. the root embedded in a client (default: the lowest version published)")
	at := f.String("at", "", "reference `time` for expiry, RFC 3339 (default: now)")
	asJSON := f.Bool("json", false, "print one JSON object")
	strict := f.Bool("strict", false, "fail on key IDs that do not match their key content instead of warning")
	yubico := f.String("yubico-roots", "", "PEM `file` of Yubico's attestation roots, to check PIV enrolments")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	now := e.currentTime()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return usageErr("-at %q is not an RFC 3339 time such as 2026-11-01T00:00:00Z", *at)
		}
		now = t
	}
	rep := &verifyReport{ReferenceTime: now.UTC().Truncate(time.Second), Warnings: []string{}, Steps: []versionView{}, Policy: []policyFinding{}, wallClock: e.currentTime()}
	var err error
	if *chain != "" {
		err = verifyChainDir(rep, *chain, *trusted, verify.Options{Now: now, Strict: *strict})
	} else {
		err = verifyCeremony(ctx, e, rep, *dir, *yubico, *trusted, verify.Options{Now: now, Strict: *strict})
	}
	rep.Verified = err == nil
	rep.Warnings = mergeWarnings(rep.Warnings)
	if err != nil {
		rep.Error = strings.TrimPrefix(err.Error(), "ceremony: ")
	}
	if *asJSON {
		data, jerr := json.MarshalIndent(rep, "", "  ")
		if jerr != nil {
			return jerr
		}
		e.printf("%s\n", data)
		if err != nil {
			return errSilent
		}
		return nil
	}
	for _, c := range rep.Checks {
		e.printf("ok   %s\n", c)
	}
	for _, w := range rep.Warnings {
		e.printf("warn %s\n", w)
	}
	if err != nil {
		return err
	}
	exp := ""
	if rep.Expires != nil {
		exp = ", expires " + formatTime(*rep.Expires)
	}
	if rep.FinalVersion == 0 {
		// Before the first publish there is no root to trust; only the
		// policy, the enrolled keys and any staged signatures checked out.
		e.printf("Verified at %s: no root is published yet, so nothing is trusted; the policy, the enrolled keys and the staged signatures check out.\n", formatTime(now))
		return nil
	}
	e.printf("Verified: root v%d trusted at %s%s.\n", rep.FinalVersion, formatTime(now), exp)
	if rep.RootSHA256 != "" {
		e.printf("Root v%d SHA-256: %s\n", rep.FinalVersion, rep.RootSHA256)
	}
	return nil
}

// checkChainDir reports a -chain directory that does not exist or is not
// a directory, which would otherwise read as one without root files.
func checkChainDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("ceremony: -chain directory %s does not exist", filepath.ToSlash(dir))
	case err != nil:
		return fmt.Errorf("ceremony: -chain directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("ceremony: -chain %s is not a directory", filepath.ToSlash(dir))
	}
	return nil
}

// readChain reads the trusted root and the files of every later version
// in dir. With a trusted FILE, the repository's own copy of that version
// must be the very same file (byte for byte: the SHA-256 announced is the
// file's), and every older version in dir must be the trusted chain's
// history: each signed as a TUF rotation requires, ending in the trusted
// root. So a repository whose 1.root.json was swapped for another root (an
// attacker's, or another project's) fails even when the walk starts after
// it.
func readChain(dir, trustedFile string) (*root.Root, [][]byte, error) {
	vs, err := rootVersions(dir, dir)
	if err != nil {
		return nil, nil, err
	}
	if len(vs) == 0 {
		return nil, nil, fmt.Errorf("ceremony: no N.root.json files in %s", filepath.ToSlash(dir))
	}
	if len(vs) > verify.DefaultMaxRootSteps {
		return nil, nil, fmt.Errorf("ceremony: %s holds %d root versions, more than %d", filepath.ToSlash(dir), len(vs), verify.DefaultMaxRootSteps)
	}
	file := func(v int64) string { return filepath.Join(dir, fmt.Sprintf("%d.root.json", v)) }
	var trusted *root.Root
	if trustedFile == "" {
		trusted, _, err = loadRootFile(dir, file(vs[0]))
		if err != nil {
			return nil, nil, err
		}
	} else {
		var trustedData []byte
		if trusted, trustedData, err = loadRootFile("", trustedFile); err != nil {
			return nil, nil, err
		}
		if err := checkTrustedHistory(dir, vs, trusted, trustedFile, trustedData); err != nil {
			return nil, nil, err
		}
	}
	var next [][]byte
	for _, v := range vs {
		if v <= trusted.Version() {
			continue
		}
		data, err := readInside(dir, file(v), root.MaxRootSize)
		if err != nil {
			return nil, nil, fmt.Errorf("ceremony: %w", err)
		}
		next = append(next, data)
	}
	if len(next) > 0 && vs[0] > trusted.Version()+1 {
		return nil, nil, fmt.Errorf("ceremony: the trusted root is v%d but %s starts at v%d", trusted.Version(), filepath.ToSlash(dir), vs[0])
	}
	return trusted, next, nil
}

// checkTrustedHistory checks the versions of dir up to the trusted one
// against the trusted root (see readChain).
func checkTrustedHistory(dir string, vs []int64, trusted *root.Root, trustedFile string, trustedData []byte) error {
	n := trusted.Version()
	if vs[len(vs)-1] < n {
		return fmt.Errorf("ceremony: %s ends at root v%d, older than the trusted root v%d (%s): a rollback, or a copy that is not up to date", filepath.ToSlash(dir), vs[len(vs)-1], n, filepath.ToSlash(trustedFile))
	}
	if vs[0] > n {
		return nil // the directory starts after the trusted version
	}
	rel := fmt.Sprintf("%d.root.json", n)
	own, err := readInside(dir, filepath.Join(dir, rel), root.MaxRootSize)
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if !bytes.Equal(own, trustedData) {
		return fmt.Errorf("ceremony: %s/%s (SHA-256 %s) is not the trusted root %s (SHA-256 %s): the repository does not publish the announced root", filepath.ToSlash(dir), rel, sha256Hex(own), filepath.ToSlash(trustedFile), sha256Hex(trustedData))
	}
	// Older versions: each one a valid predecessor of the next, up to the
	// trusted root. Only signatures count here; these roots expired long
	// ago, so each step is checked just before the newer root's expiry.
	prev, _, err := loadRootFile(dir, filepath.Join(dir, fmt.Sprintf("%d.root.json", vs[0])))
	if err != nil {
		return err
	}
	for v := vs[0] + 1; v <= n; v++ {
		next := trusted
		if v < n {
			if next, _, err = loadRootFile(dir, filepath.Join(dir, fmt.Sprintf("%d.root.json", v))); err != nil {
				return err
			}
		}
		if _, err := verify.Rotation(prev, next, verify.Options{Now: next.Expires().Add(-time.Second)}); err != nil {
			return fmt.Errorf("ceremony: %s/%d.root.json is not part of the trusted root's history (root v%d does not follow from it): %w", filepath.ToSlash(dir), prev.Version(), v, err)
		}
		prev = next
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// checkRootJSON checks that dir/root.json, when there is one, is the
// newest N.root.json, byte for byte.
func checkRootJSON(base, dir string, newest int64) error {
	data, err := readInside(base, filepath.Join(dir, "root.json"), root.MaxRootSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ceremony: reading %s/root.json: %w", filepath.ToSlash(dir), err)
	}
	newestData, err := readInside(base, filepath.Join(dir, fmt.Sprintf("%d.root.json", newest)), root.MaxRootSize)
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if !bytes.Equal(data, newestData) {
		return fmt.Errorf("ceremony: %s/root.json (SHA-256 %s) is not the newest root %d.root.json (SHA-256 %s); if a publish was interrupted, run publish again", filepath.ToSlash(dir), sha256Hex(data), newest, sha256Hex(newestData))
	}
	return nil
}

func verifyChainDir(rep *verifyReport, dir, trustedFile string, opts verify.Options) error {
	if err := checkChainDir(dir); err != nil {
		return err
	}
	trusted, next, err := readChain(dir, trustedFile)
	if err != nil {
		return err
	}
	rep.TrustedVersion = trusted.Version()
	if trustedFile == "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("trusting %s/%d.root.json on first use; pass -trusted FILE to pin the starting root", filepath.ToSlash(dir), trusted.Version()))
	}
	res, err := verify.Chain(trusted, next, opts)
	if err != nil {
		return explainChainError(rep, trusted, next, err)
	}
	fillChainResult(rep, trusted, next, res)
	if err := checkRootJSON(dir, dir, res.Root.Version()); err != nil {
		return err
	}
	return nil
}

// digestOf is a root's file SHA-256, or "?" if it cannot be encoded.
func digestOf(r *root.Root) string {
	d, err := r.Digest()
	if err != nil {
		return "?"
	}
	return d
}

// expiryWarnDays is how close to its expiry a trusted root draws a warning.
const expiryWarnDays = 30

func fillChainResult(rep *verifyReport, trusted *root.Root, next [][]byte, res *verify.ChainResult) {
	rep.FinalVersion = res.Root.Version()
	exp := res.Root.Expires().UTC()
	rep.Expires = &exp
	if left := exp.Sub(rep.ReferenceTime); left < expiryWarnDays*24*time.Hour {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("root v%d expires in %s, on %s: stage and sign a new version soon", rep.FinalVersion, days(left), formatTime(exp)))
	}
	for _, w := range res.Warnings {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("root v%d: %s", w.Version, w.Message))
	}
	rep.addSteps(trusted, next, rep.FinalVersion)
	if d, err := res.Root.Digest(); err == nil {
		rep.RootSHA256 = d
	}
}

// explainChainError fills the report from a chain failure: how far the
// signatures verified, and, for an expired root, when it expired.
func explainChainError(rep *verifyReport, trusted *root.Root, next [][]byte, err error) error {
	var xe *verify.ExpiredError
	if errors.As(err, &xe) {
		rep.FinalVersion = xe.Version
		exp := xe.Expires.UTC()
		rep.Expires = &exp
		roots := rep.addSteps(trusted, next, xe.Version)
		// The chain result's warnings are not kept with an expiry error.
		rep.Warnings = append(rep.Warnings, keyIDWarnings(roots)...)
		rep.Checks = append(rep.Checks, fmt.Sprintf("signatures of root v%d to v%d verified", trusted.Version(), xe.Version))
		return fmt.Errorf("ceremony: root version %d expired on %s (reference time %s); signatures verified up to version %d, but an expired root is not trusted: %w",
			xe.Version, formatTime(xe.Expires), formatTime(xe.Now), xe.Version, err)
	}
	var me *verify.MetadataError
	var te *verify.ThresholdError
	var ve *verify.VersionError
	failed := int64(0)
	switch {
	case errors.As(err, &me) && me.Version > 0:
		failed = me.Version
	case errors.As(err, &te) && te.Version > 0:
		failed = te.Version
	case errors.As(err, &ve):
		failed = ve.Got
	}
	if failed > trusted.Version() {
		rep.FinalVersion = failed - 1
		rep.addSteps(trusted, next, failed-1)
	}
	return fmt.Errorf("ceremony: chain verification failed: %w", err)
}

func verifyCeremony(ctx context.Context, e *env, rep *verifyReport, dir, yubico, trustedFile string, opts verify.Options) error {
	r := openRepo(e, dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	rep.Checks = append(rep.Checks, policyFile+" is valid")
	keys, err := r.loadKeys()
	if err != nil {
		return err
	}
	roots, inter, err := attestationPools(p.AttestationRoots, yubico)
	if err != nil {
		return err
	}
	if isRehearsal(p.AttestationRoots) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("REHEARSAL: attestations are checked against the YubiKey simulator's rehearsal CA (%s), whose key is public; this repository is not a real root of trust", p.AttestationRoots))
	}
	enrolled := map[string][]*KeyFile{}
	rep.enrolled = map[string]string{}
	for _, k := range keys {
		enrolled[k.Fingerprint] = append(enrolled[k.Fingerprint], k)
		rep.enrolled[k.Fingerprint] = k.Holder
		if roots == nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("attestation of %s's key not checked: pass -yubico-roots FILE (Yubico's published roots)", k.Holder))
			continue
		}
		a, err := checkAttestation(k, roots, inter)
		if err != nil {
			return err
		}
		for _, w := range a.Warnings {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s", k.Holder, w.Message))
		}
		rep.Checks = append(rep.Checks, fmt.Sprintf("keys/%s.json: key %s attested on token %d, firmware %s", k.Holder, fingerprintLabel(k.Fingerprint), a.Serial, a.Firmware))
	}
	vs, err := r.publishedVersions()
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		if trustedFile != "" {
			// A root was published once (the caller trusts one): an
			// empty repository is a missing one, not a fresh ceremony.
			return fmt.Errorf("ceremony: %s holds no N.root.json, but -trusted %s names a published root: the published repository is missing", repoDir, trustedFile)
		}
		rep.Checks = append(rep.Checks, "nothing published yet")
		return r.verifyStaged(rep)
	}
	trusted, next, err := readChain(r.path(repoDir), trustedFile)
	if err != nil {
		return err
	}
	rep.TrustedVersion = trusted.Version()
	res, err := verify.Chain(trusted, next, opts)
	if err != nil {
		return explainChainError(rep, trusted, next, err)
	}
	fillChainResult(rep, trusted, next, res)
	if trustedFile != "" {
		rep.Checks = append(rep.Checks, fmt.Sprintf("%s/%d.root.json is the trusted root %s (SHA-256 %s), and every older version leads to it", repoDir, trusted.Version(), filepath.ToSlash(trustedFile), digestOf(trusted)))
	}
	// Every root key of every version must be an enrolled key (whose
	// attestation was verified above when attestation roots are set).
	unenrolled := map[string][]int64{} // fingerprint -> versions
	var unenrolledOrder []root.Key
	for _, data := range append([][]byte{nil}, next...) {
		rt := trusted
		if data != nil {
			if rt, err = root.Parse(data); err != nil {
				return err
			}
		}
		rk, _ := rt.Role(root.RoleRoot)
		for _, k := range rk.Keys {
			kfs, ok := enrolled[k.Fingerprint()]
			if !ok {
				if unenrolled[k.Fingerprint()] == nil {
					unenrolledOrder = append(unenrolledOrder, k)
				}
				unenrolled[k.Fingerprint()] = append(unenrolled[k.Fingerprint()], rt.Version())
				continue
			}
			if k.Holder() == "" {
				continue
			}
			match := false
			var names []string
			for _, kf := range kfs {
				match = match || kf.Holder == k.Holder()
				names = append(names, "keys/"+kf.Holder+".json")
			}
			if !match {
				return fmt.Errorf("ceremony: root v%d lists key %s (%s) as %s's, but %s enrolled it", rt.Version(), prefix(string(k.ID()), shortIDLen), fingerprintLabel(k.Fingerprint()), k.Holder(), strings.Join(names, ", "))
			}
		}
	}
	if len(unenrolledOrder) > 0 {
		var lines []string
		for _, k := range unenrolledOrder {
			lines = append(lines, fmt.Sprintf("root %s: root key %s (%s) is not enrolled in %s/", versionRanges(unenrolled[k.Fingerprint()]), fingerprintLabel(k.Fingerprint()), holderName(k), keysDir))
		}
		return fmt.Errorf("ceremony: every root key must be enrolled, with its attestation, in %s/:\n  %s", keysDir, strings.Join(lines, "\n  "))
	}
	rep.Checks = append(rep.Checks, "every root key is an enrolled key")
	// root.json is a copy of the newest root.
	if err := checkRootJSON(r.dir, r.path(repoDir), res.Root.Version()); err != nil {
		return err
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("%s/root.json is root v%d", repoDir, res.Root.Version()))
	o, err := r.loadOnline()
	if err != nil {
		return err
	}
	if o == nil {
		return fmt.Errorf("ceremony: %s/timestamp.json is missing", repoDir)
	}
	all := o.allTargets()
	// The repository through this project's own offline client workflow,
	// from the trusted root, looking up every target.
	fsys := os.DirFS(r.path(repoDir))
	vr, err := verify.Repository(trusted, fsys, nil, opts)
	if err != nil {
		return fmt.Errorf("ceremony: repository: %w", err)
	}
	if vr.Root().Version() != res.Root.Version() {
		return fmt.Errorf("ceremony: repository: the client workflow trusts root v%d, the chain v%d", vr.Root().Version(), res.Root.Version())
	}
	for _, tf := range all {
		t, err := vr.Target(tf.Name, verify.FSLoader(fsys))
		if err != nil {
			return fmt.Errorf("ceremony: target %s: %w", tf.Name, err)
		}
		if err := r.checkTargetFile(t); err != nil {
			return err
		}
	}
	// The same with go-tuf's client, a second implementation.
	_, latestData, err := r.latestRootData()
	if err != nil {
		return err
	}
	if err := r.crossCheckGoTUF(latestData, opts.Now, o); err != nil {
		return err
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("timestamp v%d, snapshot v%d, targets v%d and %d delegated role(s) verify as a TUF client sees them (this project's verifier, cross-checked with go-tuf's client); %d target file(s) match their hashes",
		o.timestamp.Version(), o.snapshot.Version(), o.targets.Version(), len(o.delegated), len(all)))
	return r.verifyStaged(rep)
}

// verifyStaged reports on a root being signed; it fails only on invalid
// signature files.
func (r *repo) verifyStaged(rep *verifyReport) error {
	if _, err := os.Lstat(r.path(stagedRoot)); err != nil {
		return nil
	}
	st, _, err := loadRootFile(r.dir, r.path(stagedRoot))
	if err != nil {
		return err
	}
	if pub, err := r.published(); err == nil && pub != nil && st.Version() <= pub.Version() {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s (v%d) is already published; an interrupted publish? run publish again to finish", stagedRoot, st.Version()))
		return nil
	}
	s, err := r.mergeSignatures()
	if err != nil {
		return err
	}
	if len(s.bad) > 0 {
		return fmt.Errorf("ceremony: invalid signature files:\n  %s", strings.Join(s.bad, "\n  "))
	}
	status := s.st.SigningStatus(s.prev)
	need := 0
	for _, q := range status.Requirements {
		need += q.Needed
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("staged root v%d: every signature file verifies; %d more signature(s) needed", s.st.Version(), need))
	return nil
}
