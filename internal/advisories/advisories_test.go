package advisories

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/vectors"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// ---- helpers ----

func loadCase(t *testing.T, name string) *vectors.Case {
	t.Helper()
	c, err := vectors.LoadCase(filepath.Join(vectors.CorpusDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func read(t *testing.T, c *vectors.Case, file string) []byte {
	t.Helper()
	data, err := c.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// chain runs a chain case: parse the trusted root, walk the steps.
func chain(t *testing.T, name string) (*verify.ChainResult, error) {
	t.Helper()
	c := loadCase(t, name)
	trusted, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		return nil, err
	}
	var steps [][]byte
	for _, s := range c.Steps {
		steps = append(steps, read(t, c, s))
	}
	res, err := verify.Chain(trusted, steps, verify.Options{Now: c.At})
	if err != nil && res != nil {
		t.Errorf("%s: a result came with the error %v", name, err)
	}
	return res, err
}

// wantErr runs a chain case and asserts errors.Is(err, target) for one of
// the targets.
func wantErr(t *testing.T, name string, targets ...error) error {
	t.Helper()
	res, err := chain(t, name)
	if err == nil || res != nil {
		t.Fatalf("%s: verified (%v); want %v", name, res != nil, targets)
	}
	for _, target := range targets {
		if errors.Is(err, target) {
			return err
		}
	}
	t.Fatalf("%s: %v; want %v", name, err, targets)
	return err
}

// malformed are the errors a malformed root may wrap: root.Parse's when
// the trusted root is malformed, verify's when a chain step is.
var malformed = []error{root.ErrMalformed}

func wantValid(t *testing.T, name string) *verify.ChainResult {
	t.Helper()
	res, err := chain(t, name)
	if err != nil || res == nil {
		t.Fatalf("%s: %v; want valid", name, err)
	}
	return res
}

// openCase opens a repository case at its reference time.
func openCase(t *testing.T, name string, prev *verify.State) (*vectors.Case, *verify.Repo, error) {
	t.Helper()
	c := loadCase(t, name)
	trusted, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		t.Fatal(err)
	}
	repo, err := verify.Repository(trusted, os.DirFS(c.Dir()), prev, verify.Options{Now: c.At})
	if err != nil && repo != nil {
		t.Errorf("%s: a repository came with the error %v", name, err)
	}
	return c, repo, err
}

// lookup opens a repository case and looks its target up.
func lookup(t *testing.T, name string) (repository.Target, error) {
	t.Helper()
	c, repo, err := openCase(t, name, nil)
	if err != nil {
		return repository.Target{}, err
	}
	return repo.Target(c.Target, verify.FSLoader(os.DirFS(c.Dir())))
}

// thresholdValid returns the count of distinct valid keys a
// *verify.ThresholdError reports.
func thresholdValid(t *testing.T, err error) (valid, threshold int) {
	t.Helper()
	var te *verify.ThresholdError
	if !errors.As(err, &te) {
		t.Fatalf("%v is not a *verify.ThresholdError", err)
	}
	return te.Valid, te.Threshold
}

// ceremony is a 2-of-3 root over fake signers, built with the public API.
type ceremony struct {
	signers []*fake.Signer
	keys    []root.Key
	online  root.Key
}

func newCeremony(t *testing.T, names ...string) *ceremony {
	t.Helper()
	c := &ceremony{}
	for _, n := range names {
		s := fake.New("advisories-" + n)
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: n})
		if err != nil {
			t.Fatal(err)
		}
		c.signers = append(c.signers, s)
		c.keys = append(c.keys, k)
	}
	var err error
	if c.online, err = root.NewKey(fake.New("advisories-online").Public(), root.KeyOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *ceremony) policy(rootKeys []root.Key, threshold int) root.Policy {
	online := root.RolePolicy{Keys: []root.Key{c.online}, Threshold: 1}
	return root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot:    {Keys: rootKeys, Threshold: threshold},
			root.RoleTargets: online, root.RoleSnapshot: online, root.RoleTimestamp: online,
		},
		Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

var refTime = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

// duplicateFirstSignature returns r's file with its first signature entry
// repeated.
func duplicateFirstSignature(t *testing.T, r *root.Root) []byte {
	t.Helper()
	data, err := r.MarshalFile()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var sigs []json.RawMessage
	if err := json.Unmarshal(doc["signatures"], &sigs); err != nil || len(sigs) == 0 {
		t.Fatalf("signatures: %v", err)
	}
	sigs = append(sigs, sigs[0])
	doc["signatures"], _ = json.Marshal(sigs)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ---- duplicate signatures ----

// GHSA-pwqf-9h7j-7mv8 (CVE-2020-6174, python-tuf <= 0.12.1): the same
// key's signature repeated in the signatures list was counted once per
// entry, so one key met any threshold. The same class was fixed in
// rust-tuf (PR #283), php-tuf (#154) and tiup (PR #235).
func TestAdvisory_GHSA_pwqf_9h7j_7mv8_DuplicateSignatures(t *testing.T) {
	// The corpus: v2 whose threshold of 2 is "met" by one entry twice.
	wantErr(t, "dup-signature-entries", malformed...)

	// The same attack on a root built and signed with the API.
	c := newCeremony(t, "a", "b", "c")
	r, err := root.New(c.policy(c.keys, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sign(context.Background(), c.signers[0], nil); err != nil {
		t.Fatal(err)
	}
	// Signing again with the same key replaces, never appends.
	if _, err := r.Sign(context.Background(), c.signers[0], nil); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Signatures()); n != 1 {
		t.Fatalf("%d signature entries after one key signed twice, want 1", n)
	}
	if _, err := root.Parse(duplicateFirstSignature(t, r)); !errors.Is(err, root.ErrMalformed) {
		t.Fatalf("Parse of a file with a repeated signature: %v, want root.ErrMalformed", err)
	}
	if _, err := verify.Root(r, verify.Options{Now: refTime}); !errors.Is(err, verify.ErrThreshold) {
		t.Fatalf("one signature of a 2-of-3 root: %v, want ErrThreshold", err)
	}
	st := r.SigningStatus(nil)
	if st.Complete || st.Requirements[0].Needed != 1 {
		t.Fatalf("status of a root with one of two signatures: complete=%v needed=%d", st.Complete, st.Requirements[0].Needed)
	}
}

// GHSA-5q2r-92f9-4m49 (CVE-2020-15093, tough < 0.7.1): a duplicated valid
// signature satisfied the threshold. Here in a rotation: v2 carries v1's
// key's signature twice.
func TestAdvisory_GHSA_5q2r_92f9_4m49_DuplicatedValidSignature(t *testing.T) {
	c := newCeremony(t, "a", "b", "c")
	v1, err := root.New(c.policy(c.keys, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.signers[:2] {
		if _, err := v1.Sign(context.Background(), s, nil); err != nil {
			t.Fatal(err)
		}
	}
	v2, err := v1.Next(root.Rotation{Expires: time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Sign(context.Background(), c.signers[0], v1); err != nil {
		t.Fatal(err)
	}
	res, err := verify.Chain(v1, [][]byte{duplicateFirstSignature(t, v2)}, verify.Options{Now: refTime})
	if res != nil || err == nil {
		t.Fatal("v2 with one key's signature twice was trusted")
	}
	if !errors.Is(err, root.ErrMalformed) {
		t.Fatalf("%v, want a malformed-metadata error", err)
	}
	// Without the duplicate the rotation lacks a threshold, and says so.
	file, _ := v2.MarshalFile()
	_, err = verify.Chain(v1, [][]byte{file}, verify.Options{Now: refTime})
	if valid, thr := thresholdValid(t, err); valid != 1 || thr != 2 {
		t.Fatalf("%d of %d, want 1 of 2", valid, thr)
	}
}

// CVE-2026-6966 (tough < 0.22.0, tuftool < 0.15.0): a delegated role's
// threshold counted a duplicated signature. Deduplication must hold in
// every verification path, delegations included.
func TestAdvisory_CVE_2026_6966_DelegatedDuplicateSignature(t *testing.T) {
	if _, err := lookup(t, "delegation-dup-signature"); !errors.Is(err, root.ErrMalformed) && !errors.Is(err, verify.ErrThreshold) {
		t.Fatalf("one key's signature twice on a 2-of-2 delegated role: %v, want a rejection", err)
	}
	_, err := lookup(t, "delegation-one-key-two-keyids")
	if !errors.Is(err, verify.ErrThreshold) {
		t.Fatalf("one key under two key IDs of a 2-of-2 delegated role: %v, want ErrThreshold", err)
	}
	if valid, thr := thresholdValid(t, err); valid != 1 || thr != 2 {
		t.Fatalf("%d of %d, want 1 of 2", valid, thr)
	}
	if _, err := lookup(t, "delegation-valid"); err != nil {
		t.Fatalf("the same delegation signed by both keys: %v", err)
	}
}

// ---- one key counted twice ----

// GHSA-3633-5h82-39pq (go-tuf < 0.3.2): one public key listed under two
// key IDs counted twice.
func TestAdvisory_GHSA_3633_5h82_39pq_OneKeyUnderTwoKeyIDs(t *testing.T) {
	for _, name := range []string{"one-key-two-keyids", "one-key-two-keyids-previous", "keyids-differ-in-case"} {
		err := wantErr(t, name, verify.ErrThreshold)
		if valid, thr := thresholdValid(t, err); valid != 1 || thr != 2 {
			t.Errorf("%s: %d of %d, want 1 of 2", name, valid, thr)
		}
	}
	// The signing status shows the key once, with both of its key IDs.
	c := loadCase(t, "one-key-two-keyids")
	r, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		t.Fatal(err)
	}
	st := r.SigningStatus(nil)
	req := st.Requirements[0]
	if len(req.Signed) != 1 || len(req.Signed[0].KeyIDs) != 2 || req.Needed != 1 || st.Complete {
		t.Fatalf("status: %d signed (%v), needed %d, complete %v; want one key under two IDs, 1 needed",
			len(req.Signed), req.Signed, req.Needed, st.Complete)
	}
	// A new root cannot be built that way.
	cer := newCeremony(t, "a", "b")
	again, err := root.NewKey(cer.signers[0].Public(), root.KeyOptions{Holder: "a, again"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.New(cer.policy([]root.Key{cer.keys[0], again, cer.keys[1]}, 2)); !errors.Is(err, root.ErrInvalidPolicy) {
		t.Fatalf("root.New with one key under two IDs: %v, want ErrInvalidPolicy", err)
	}
}

// Legacy python-tuf #920 (commit 83ac7be, listed in spec PR #154) and
// go-tuf PR #733 (before v2.4.2): one key under two keytype or scheme
// spellings ("ecdsa" and "ecdsa-sha2-nistp256") counted twice.
func TestAdvisory_PythonTUF920_GoTUF733_OneKeyTwoKeytypes(t *testing.T) {
	err := wantErr(t, "one-key-two-keytypes", verify.ErrThreshold)
	if valid, thr := thresholdValid(t, err); valid != 1 || thr != 2 {
		t.Fatalf("%d of %d, want 1 of 2", valid, thr)
	}
	wantValid(t, "one-key-two-keytypes-valid")
}

// ---- thresholds ----

// GHSA-fphv-w9fq-2525 (CVE-2026-23992, go-tuf v2 < 2.3.1): a threshold of
// 0 or below disabled signature checks.
func TestAdvisory_GHSA_fphv_w9fq_2525_ThresholdBelowOne(t *testing.T) {
	wantErr(t, "threshold-zero", malformed...)
	wantErr(t, "threshold-negative", malformed...)
	if _, err := lookup(t, "delegation-threshold-zero"); err == nil {
		t.Fatal("an unsigned delegated role with threshold 0 was trusted")
	}
	c := newCeremony(t, "a")
	for _, thr := range []int{0, -1} {
		if _, err := root.New(c.policy(c.keys, thr)); !errors.Is(err, root.ErrInvalidPolicy) {
			t.Errorf("root.New with threshold %d: %v, want ErrInvalidPolicy", thr, err)
		}
	}
	wantErr(t, "threshold-above-key-count", verify.ErrThreshold)
}

// ---- rotations ----

// CVE-2020-15163 (python-tuf < 0.14): a new root was not verified against
// its own threshold, and a root that failed verification could later be
// trusted. Both thresholds are required, and a failed update trusts
// nothing, so the next update starts again from the trusted root.
func TestAdvisory_CVE_2020_15163_NewRootNeedsBothThresholds(t *testing.T) {
	err := wantErr(t, "rotation-only-old-keys", verify.ErrThreshold)
	var te *verify.ThresholdError
	if errors.As(err, &te) && te.Version != 2 {
		t.Errorf("failure names version %d, want 2", te.Version)
	}
	wantErr(t, "rotation-only-new-keys", verify.ErrThreshold)
	wantErr(t, "rotation-old-threshold-short", verify.ErrThreshold)
	// From the same trusted v1, a correctly signed v2 is accepted: the
	// failure left nothing behind.
	if res := wantValid(t, "valid-rotation-new-keys"); res.Root.Version() != 2 {
		t.Fatalf("trusted v%d, want v2", res.Root.Version())
	}
}

// Spec 5.3.5 (tough's load_root accepted any version >= N): the next root
// must be exactly N+1.
func TestAdvisory_ToughLoadRoot_ExactNextVersion(t *testing.T) {
	for _, name := range []string{"version-skip", "version-equal"} {
		err := wantErr(t, name, verify.ErrVersion)
		var ve *verify.VersionError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: %v is not a *verify.VersionError", name, err)
		}
	}
}

// GHSA-66x3-6cw3-v5gj (CVE-2022-29173, go-tuf < 0.3.0): rollback checks
// compared against a default version of 0, and metadata was trusted before
// the versions it referenced were checked.
func TestAdvisory_GHSA_66x3_6cw3_v5gj_Rollback(t *testing.T) {
	err := wantErr(t, "version-rollback", verify.ErrVersion)
	if !errors.Is(err, verify.ErrRollback) {
		t.Errorf("v1 after v2: %v does not wrap ErrRollback", err)
	}
	// A delegated role whose version is not the one the snapshot lists.
	if _, err := lookup(t, "delegation-version-mismatch"); !errors.Is(err, verify.ErrVersion) {
		t.Fatalf("delegated role version mismatch: %v, want ErrVersion", err)
	}
	// A repository older than the state a previous update ended with is
	// refused: verify's TestRepository and TestFastForwardRecovery build
	// such states; here, the remembered state itself is accepted again.
	_, repo, err := openCase(t, "repo-valid", nil)
	if err != nil {
		t.Fatal(err)
	}
	st := repo.State()
	if _, _, err := openCase(t, "repo-valid", &st); err != nil {
		t.Fatalf("the same repository again: %v", err)
	}
}

// ---- delegations ----

// CVE-2026-6967 (tough 0.9.0 to 0.21.x): delegated targets skipped the
// expiry, hash and length checks top-level metadata gets.
func TestAdvisory_CVE_2026_6967_DelegatedMetadataChecks(t *testing.T) {
	if _, err := lookup(t, "delegation-expired"); !errors.Is(err, verify.ErrExpired) {
		t.Errorf("expired delegated role: %v, want ErrExpired", err)
	}
	if _, err := lookup(t, "delegation-hash-mismatch"); !errors.Is(err, repository.ErrHashMismatch) && !errors.Is(err, repository.ErrLengthMismatch) {
		t.Errorf("delegated role not matching the snapshot's hash: %v, want a hash mismatch", err)
	}
	if _, err := lookup(t, "delegation-wrong-key"); !errors.Is(err, verify.ErrThreshold) {
		t.Errorf("delegated role signed by another key: %v, want ErrThreshold", err)
	}
}

// GHSA-4f8r-qqr9-fq8j (go-tuf v2, 2024): delegations were searched in the
// wrong order and returned another role's target.
func TestAdvisory_GHSA_4f8r_qqr9_fq8j_DelegationOrder(t *testing.T) {
	c := loadCase(t, "delegation-order")
	tgt, err := lookup(t, "delegation-order")
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Role != "a" || tgt.Hashes["sha256"] != c.TargetSHA256 {
		t.Fatalf("found x.txt in role %q (sha256 %s), want role a's entry %s", tgt.Role, tgt.Hashes["sha256"], c.TargetSHA256)
	}
	if _, err := lookup(t, "delegation-terminating"); !errors.Is(err, verify.ErrTargetNotFound) {
		t.Fatalf("terminating delegation: %v, want ErrTargetNotFound", err)
	}
	if _, err := lookup(t, "delegation-loop"); !errors.Is(err, verify.ErrTargetNotFound) {
		t.Fatalf("delegation loop: %v, want ErrTargetNotFound", err)
	}
}

// GHSA-77hh-43cm-v8j6 (python-tuf Metadata API < 3.1.1): looking up a
// delegated role on untrusted metadata lacked input validation.
func TestAdvisory_GHSA_77hh_43cm_v8j6_DelegatedRoleLookup(t *testing.T) {
	c := loadCase(t, "delegation-valid")
	trusted, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.Targets(trusted, read(t, c, "targets.json"), verify.Options{Now: c.At})
	if err != nil {
		t.Fatal(err)
	}
	proj := read(t, c, "proj.json")
	for _, role := range []root.Role{"", "not-delegated", "../proj", "proj/../proj", "targets", "root"} {
		if m, err := verify.Delegated(tm, role, proj, verify.Options{Now: c.At}); err == nil || m != nil {
			t.Errorf("Delegated(%q) of a role targets does not delegate: %v", role, err)
		}
	}
	if _, err := verify.Delegated(tm, "proj", proj, verify.Options{Now: c.At}); err != nil {
		t.Fatalf("Delegated(proj): %v", err)
	}
}

// GHSA-wjw6-2cqr-j4qr (CVE-2021-41131, python-tuf < 0.19.0) and
// GHSA-jqc5-w2xx-5vq4 (go-tuf v2 < 2.4.1): role or repository names used
// unescaped as file names let metadata name files outside the repository.
func TestAdvisory_GHSA_wjw6_2cqr_j4qr_RoleNameAsPath(t *testing.T) {
	tgt, err := lookup(t, "delegation-role-name-traversal")
	if err == nil {
		t.Fatalf("a role named ../proj was read and gave %+v", tgt)
	}
	if !errors.Is(err, verify.ErrMissing) && !errors.Is(err, root.ErrMalformed) {
		t.Fatalf("%v, want the role's file refused or absent", err)
	}
}

// ---- parsing hazards ----

// JSON differentials (see tuf-anchors.md section 3): decoders disagree on
// duplicate keys, keys that differ only in case and invalid UTF-8, so a
// signed document could mean different things to different clients.
// trustroot refuses such documents, and accepts re-encoded ones whose
// canonical form is unchanged.
func TestAdvisory_JSONParsingHazards(t *testing.T) {
	for _, name := range []string{"duplicate-json-keys", "duplicate-json-keys-signed", "json-keys-differ-in-case", "non-utf8", "deeply-nested", "very-large", "number-for-string", "string-for-number"} {
		wantErr(t, name, malformed...)
	}
	for _, name := range []string{"canonical-reordered", "canonical-minified", "canonical-unicode-escapes"} {
		wantValid(t, name)
	}
	// Re-encoding never changes what was signed.
	c := loadCase(t, "canonical-reordered")
	a, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		t.Fatal(err)
	}
	b, err := root.Parse(read(t, loadCase(t, "valid-bootstrap"), "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.SigningPayload(), b.SigningPayload()) {
		t.Fatal("the reformatted root has another signing payload")
	}
}

// CVE-2026-6968 (tough < 0.22.0): target names such as "../x" or "/x"
// were used as file paths and written outside the download directory.
// Targets metadata that lists such a name is refused as a whole, so no
// caller that enumerates targets ever sees one.
func TestAdvisory_CVE_2026_6968_TargetPathTraversal(t *testing.T) {
	for _, name := range []string{"target-path-traversal", "target-path-absolute", "target-path-backslash"} {
		c, repo, err := openCase(t, name, nil)
		if err == nil {
			_, err = repo.Target(c.Target, verify.FSLoader(os.DirFS(c.Dir())))
			tm, _ := repo.Metadata(root.RoleTargets)
			t.Errorf("%s: the repository verified; its targets were %v", name, tm.Targets())
		}
		if !errors.Is(err, root.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if _, err := lookup(t, "repo-valid"); err != nil {
		t.Fatalf("a repository with a plain target name: %v", err)
	}
}

// tough #946, root-signing #1431 and tuf-on-ci #792 (interoperability, not
// advisories): clients that recompute key IDs disagree about real roots
// whose key IDs are not the hash of their key objects. trustroot accepts
// them with a warning, and Strict makes them errors.
func TestAdvisory_Tough946_KeyIDNotContentHash(t *testing.T) {
	res := wantValid(t, "keyid-not-content-hash")
	warned := 0
	for _, w := range res.Warnings {
		if w.Code == "keyid-mismatch" {
			warned++
		}
	}
	if warned < 2 {
		t.Fatalf("%d keyid-mismatch warnings for two mismatched key IDs: %+v", warned, res.Warnings)
	}
	c := loadCase(t, "keyid-not-content-hash")
	r, err := root.Parse(read(t, c, c.Trusted))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := verify.Root(r, verify.Options{Now: c.At, Strict: true}); !errors.Is(err, verify.ErrKeyIDMismatch) || res != nil {
		t.Fatalf("Strict: %v, want ErrKeyIDMismatch and no result", err)
	}
}
