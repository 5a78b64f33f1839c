package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

// Layout of a ceremony repository.
const (
	policyFile    = "ceremony.json"
	keysDir       = "keys"
	stagedDir     = "staged"
	stagedRoot    = "staged/root.json"
	signaturesDir = "staged/signatures"
	delegStaged   = "staged/delegations"
	repoDir       = "repository"
	targetsDir    = "repository/targets"

	formatName = "trustroot-ceremony/1"

	// Bounds on everything the loader reads.
	maxSmallFile   = 256 << 10 // policy, key and signature files
	maxMetaFile    = 4 << 20   // targets, snapshot, timestamp metadata
	maxTargetFile  = 16 << 20  // a target file added with targets add
	maxHolders     = 64
	maxSignatures  = 256
	maxRootVersion = 10000
	maxTargets     = 1024
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

func checkName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("ceremony: invalid %s name %q: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", kind, name)
	}
	return nil
}

// Policy is ceremony.json: what every root and online role should be.
type Policy struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	// Root is the root role's threshold and expiry period.
	Root RolePolicy `json:"root"`
	// Online configures targets, snapshot and timestamp.
	Online map[string]OnlineRole `json:"online"`
	// AttestationRoots is "yubico" (the default), "fake" (the fake
	// tokens' test CA), "rehearsal:FILE" (the YubiKey simulator's
	// rehearsal CA, for rehearsals only) or the path of a PEM bundle.
	AttestationRoots string `json:"attestation_roots"`
}

// RolePolicy is a threshold and an expiry period.
type RolePolicy struct {
	Threshold   int `json:"threshold"`
	ExpiresDays int `json:"expires_days"`
}

// OnlineRole names the signers of an online role: KMS URIs (awskms://,
// gcpkms://, azurekms://, hashivault://), pem:FILE for a private key file,
// or fake:NAME for a deterministic, INSECURE demo key (see signers.go).
type OnlineRole struct {
	Signers     []string `json:"signers"`
	Threshold   int      `json:"threshold"`
	ExpiresDays int      `json:"expires_days"`
}

var onlineRoles = []string{"targets", "snapshot", "timestamp"}

func (p *Policy) validate() error {
	if p.Format != formatName {
		return fmt.Errorf("ceremony: %s: format %q, want %q", policyFile, p.Format, formatName)
	}
	if p.Root.Threshold < 1 || p.Root.Threshold > maxHolders {
		return fmt.Errorf("ceremony: %s: root threshold %d out of range 1..%d", policyFile, p.Root.Threshold, maxHolders)
	}
	if p.Root.ExpiresDays < 1 || p.Root.ExpiresDays > 3660 {
		return fmt.Errorf("ceremony: %s: root expires_days %d out of range 1..3660", policyFile, p.Root.ExpiresDays)
	}
	if len(p.Online) != len(onlineRoles) {
		return fmt.Errorf("ceremony: %s: online must configure exactly targets, snapshot and timestamp", policyFile)
	}
	for _, r := range onlineRoles {
		o, ok := p.Online[r]
		if !ok {
			return fmt.Errorf("ceremony: %s: online role %s missing", policyFile, r)
		}
		if len(o.Signers) == 0 || len(o.Signers) > 16 {
			return fmt.Errorf("ceremony: %s: online role %s needs 1..16 signers", policyFile, r)
		}
		if o.Threshold < 1 || o.Threshold > len(o.Signers) {
			return fmt.Errorf("ceremony: %s: online role %s threshold %d out of range 1..%d", policyFile, r, o.Threshold, len(o.Signers))
		}
		if o.ExpiresDays < 1 || o.ExpiresDays > 3660 {
			return fmt.Errorf("ceremony: %s: online role %s expires_days %d out of range 1..3660", policyFile, r, o.ExpiresDays)
		}
		for _, s := range o.Signers {
			if err := checkOnlineSpec(s); err != nil {
				return fmt.Errorf("ceremony: %s: %w", policyFile, err)
			}
			if specKind(s) == "fake" && (p.AttestationRoots == "" || p.AttestationRoots == "yubico") {
				return fmt.Errorf("ceremony: %s: online signer %s is a fake, INSECURE key for demos, but the attestation roots are Yubico's, as for a real ceremony: use KMS keys or pem:FILE", policyFile, s)
			}
		}
	}
	return nil
}

// fakeOnline lists the policy's fake online signers.
func (p *Policy) fakeOnline() []string {
	var out []string
	for _, r := range onlineRoles {
		for _, s := range p.Online[r].Signers {
			if specKind(s) == "fake" {
				out = append(out, s)
			}
		}
	}
	return out
}

// KeyFile is keys/<holder>.json: one keyholder's enrolment.
type KeyFile struct {
	Holder string `json:"holder"`
	// Token is "piv" or "fake".
	Token string `json:"token"`
	// Serial is the token's serial number.
	Serial string `json:"serial"`
	// Slot is the PIV slot holding the key, e.g. "9c".
	Slot string `json:"slot,omitempty"`
	// PublicKey is the PKIX public key, PEM.
	PublicKey string `json:"public_key"`
	// Fingerprint is the hex SHA-256 of the PKIX DER public key.
	Fingerprint string `json:"fingerprint"`
	// Attestation proves the key was generated on the token.
	Attestation *Attestation `json:"attestation,omitempty"`
	Enrolled    string       `json:"enrolled"`
}

// Attestation is the certificate pair a PIV token produces for a key.
type Attestation struct {
	// SlotCertificate is the attestation certificate for the key (PEM).
	SlotCertificate string `json:"slot_certificate"`
	// DeviceCertificate is the token's attestation certificate (PEM).
	DeviceCertificate string `json:"device_certificate"`
	Firmware          string `json:"firmware,omitempty"`
	PINPolicy         string `json:"pin_policy,omitempty"`
	TouchPolicy       string `json:"touch_policy,omitempty"`
}

// SigFile is staged/signatures/<holder>-<keyid prefix>.json: one signature
// over the staged root by one key.
type SigFile struct {
	Holder string `json:"holder"`
	KeyID  string `json:"keyid"`
	// Sig is the hex signature.
	Sig string `json:"sig"`
	// RootVersion and PayloadSHA256 say which staged root was signed, so
	// a signature over an earlier staging is recognised as stale.
	RootVersion   int64  `json:"root_version"`
	PayloadSHA256 string `json:"payload_sha256"`
}

// repo is an opened ceremony repository.
type repo struct {
	dir string
	e   *env
}

func (r *repo) path(elem ...string) string {
	return filepath.Join(append([]string{r.dir}, elem...)...)
}

// readBounded reads a file, refusing one larger than limit.
func readBounded(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name, limit)
}

// decodeStrict decodes one JSON value, rejecting unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func marshalFile(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func (r *repo) writeJSON(rel string, v any) error {
	data, err := marshalFile(v)
	if err != nil {
		return fmt.Errorf("ceremony: encoding %s: %w", rel, err)
	}
	return r.e.writeFile(r.path(rel), data)
}

func (r *repo) loadPolicy() (*Policy, error) {
	data, err := r.read(r.path(policyFile), maxSmallFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ceremony: %s is not a ceremony repository (no %s; run init first)", r.dir, policyFile)
		}
		return nil, fmt.Errorf("ceremony: reading %s: %w", policyFile, err)
	}
	var p Policy
	if err := decodeStrict(data, &p); err != nil {
		return nil, fmt.Errorf("ceremony: parsing %s: %w", policyFile, err)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (r *repo) keyPath(holder string) string { return r.path(keysDir, holder+".json") }

func (r *repo) loadKey(holder string) (*KeyFile, error) {
	if err := checkName("keyholder", holder); err != nil {
		return nil, err
	}
	rel := keysDir + "/" + holder + ".json"
	data, err := r.read(r.keyPath(holder), maxSmallFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ceremony: keyholder %s is not enrolled (no %s)", holder, rel)
		}
		return nil, fmt.Errorf("ceremony: reading %s: %w", rel, err)
	}
	var k KeyFile
	if err := decodeStrict(data, &k); err != nil {
		return nil, fmt.Errorf("ceremony: parsing %s: %w", rel, err)
	}
	if k.Holder != holder {
		return nil, fmt.Errorf("ceremony: %s names keyholder %q, not %q", rel, k.Holder, holder)
	}
	pub, err := parsePublicKeyPEM([]byte(k.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("ceremony: %s: %w", rel, err)
	}
	if fp := fingerprint(pub); fp != k.Fingerprint {
		return nil, fmt.Errorf("ceremony: %s: fingerprint %s does not match its public key (%s)", rel, k.Fingerprint, fp)
	}
	return &k, nil
}

// loadKeys returns every enrolled keyholder, sorted by name.
func (r *repo) loadKeys() ([]*KeyFile, error) {
	ents, err := r.readDir(r.path(keysDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("ceremony: reading %s: %w", keysDir, err)
	}
	var out []*KeyFile
	for _, e := range ents {
		name := e.Name()
		if isTempName(name) || !strings.HasSuffix(name, ".json") {
			continue
		}
		if len(out) >= maxHolders {
			return nil, fmt.Errorf("ceremony: more than %d key files in %s", maxHolders, keysDir)
		}
		k, err := r.loadKey(strings.TrimSuffix(name, ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// publishedVersions lists the N of every repository/N.root.json, ascending.
func (r *repo) publishedVersions() ([]int64, error) {
	return rootVersions(r.dir, r.path(repoDir))
}

// rootVersions lists the N of every N.root.json in dir, ascending, and
// checks that they run 1..N or k..N without gaps. dir lies in base, and
// no directory between them may be a symbolic link.
func rootVersions(base, dir string) ([]int64, error) {
	ents, err := readDirInside(base, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("ceremony: reading %s: %w", filepath.ToSlash(dir), err)
	}
	var vs []int64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".root.json") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(name, ".root.json"), 10, 64)
		if err != nil || n < 1 || n > maxRootVersion || strconv.FormatInt(n, 10)+".root.json" != name {
			continue
		}
		vs = append(vs, n)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	for i := 1; i < len(vs); i++ {
		if vs[i] != vs[i-1]+1 {
			return nil, fmt.Errorf("ceremony: %s: root versions jump from %d to %d", filepath.ToSlash(dir), vs[i-1], vs[i])
		}
	}
	return vs, nil
}

// loadRootFile reads and parses a root file. With a base (a ceremony
// repository or a -chain directory) it refuses symbolic links and
// non-regular files; without one (a -trusted FILE the user named) it
// reads the file wherever it points.
func loadRootFile(base, name string) (*root.Root, []byte, error) {
	read := func(name string, limit int64) ([]byte, error) { return readInside(base, name, limit) }
	if base == "" {
		read = readBounded
	}
	data, err := read(name, root.MaxRootSize)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: reading %s: %w", filepath.ToSlash(name), err)
	}
	rt, err := root.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: %s: %w", filepath.ToSlash(name), err)
	}
	return rt, data, nil
}

// published returns the latest published root, or nil when there is none.
func (r *repo) published() (*root.Root, error) {
	vs, err := r.publishedVersions()
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return r.publishedVersion(vs[len(vs)-1])
}

func (r *repo) publishedVersion(v int64) (*root.Root, error) {
	rt, _, err := loadRootFile(r.dir, r.path(repoDir, fmt.Sprintf("%d.root.json", v)))
	if err != nil {
		return nil, err
	}
	if rt.Version() != v {
		return nil, fmt.Errorf("ceremony: repository/%d.root.json holds version %d", v, rt.Version())
	}
	return rt, nil
}

// staged returns the staged root and the root it rotates from (nil for
// version 1).
func (r *repo) staged() (*root.Root, *root.Root, error) {
	if _, err := os.Lstat(r.path(stagedRoot)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("ceremony: nothing is staged (no %s; run stage first)", stagedRoot)
	}
	st, _, err := loadRootFile(r.dir, r.path(stagedRoot))
	if err != nil {
		return nil, nil, err
	}
	prev, err := r.published()
	if err != nil {
		return nil, nil, err
	}
	switch {
	case prev == nil && st.Version() != 1:
		return nil, nil, fmt.Errorf("ceremony: %s is version %d but nothing is published yet", stagedRoot, st.Version())
	case prev != nil && st.Version() <= prev.Version():
		return nil, nil, fmt.Errorf("ceremony: %s (version %d) is already published; if a publish was interrupted run publish again to finish it, otherwise run stage for version %d", stagedRoot, st.Version(), prev.Version()+1)
	case prev != nil && st.Version() != prev.Version()+1:
		return nil, nil, fmt.Errorf("ceremony: %s is version %d but the latest published root is version %d", stagedRoot, st.Version(), prev.Version())
	}
	return st, prev, nil
}

// sigEntry is one parsed signature file.
type sigEntry struct {
	rel string
	f   SigFile
	sig root.Signature
}

// loadSignatures reads every staged/signatures/*.json file.
func (r *repo) loadSignatures() ([]sigEntry, error) {
	ents, err := r.readDir(r.path(signaturesDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("ceremony: reading %s: %w", signaturesDir, err)
	}
	var out []sigEntry
	for _, e := range ents {
		name := e.Name()
		if isTempName(name) || !strings.HasSuffix(name, ".json") {
			continue
		}
		if len(out) >= maxSignatures {
			return nil, fmt.Errorf("ceremony: more than %d signature files in %s", maxSignatures, signaturesDir)
		}
		rel := signaturesDir + "/" + name
		data, err := r.read(r.path(signaturesDir, name), maxSmallFile)
		if err != nil {
			return nil, fmt.Errorf("ceremony: reading %s: %w", rel, err)
		}
		var f SigFile
		if err := decodeStrict(data, &f); err != nil {
			return nil, fmt.Errorf("ceremony: parsing %s: %w", rel, err)
		}
		sig, err := decodeHex(f.Sig)
		if err != nil || len(sig) == 0 || len(sig) > 1024 {
			return nil, fmt.Errorf("ceremony: %s: sig is not a hex signature", rel)
		}
		if len(f.KeyID) == 0 || len(f.KeyID) > 128 {
			return nil, fmt.Errorf("ceremony: %s: keyid missing or too long", rel)
		}
		out = append(out, sigEntry{rel: rel, f: f, sig: root.Signature{KeyID: root.KeyID(f.KeyID), Value: sig}})
	}
	return out, nil
}

// sigFileName names the file of one signature:
// staged/signatures/HOLDER-KEYID-SIG.json, with the first 16 hex digits of
// the key ID and the first 8 of the signature's SHA-256. A keyholder who
// signs on two branches makes two different (ECDSA) signatures, so the
// branches add two files and merge without a conflict; status counts the
// key once.
func sigFileName(holder string, id root.KeyID, sig []byte) string {
	sum := sha256.Sum256(sig)
	return signaturesDir + "/" + sigFilePrefix(holder, id) + hex.EncodeToString(sum[:4]) + ".json"
}

// sigFilePrefix is what every signature file of holder under key ID id
// starts with.
func sigFilePrefix(holder string, id root.KeyID) string {
	return holder + "-" + prefix(string(id), 16) + "-"
}

// sigFileHolder returns the keyholder a signature file's name gives, or
// "" for a name not shaped HOLDER-KEYID-SIG.json.
func sigFileHolder(name string) string {
	base, ok := strings.CutSuffix(name, ".json")
	if !ok {
		return ""
	}
	for range 2 {
		i := strings.LastIndex(base, "-")
		if i <= 0 {
			return ""
		}
		base = base[:i]
	}
	return base
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02") }
