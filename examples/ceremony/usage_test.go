package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsNameTheMistake: usage errors (exit 2) say what was wrong
// once, after "ceremony COMMAND:", without a second "ceremony:" prefix,
// and -serial with a fake token is refused instead of silently ignored.
func TestUsageErrorsNameTheMistake(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"enroll", "-holder", "../evil", "-token", "fake"}, "ceremony enroll: invalid keyholder name \"../evil\""},
		{[]string{"targets", "add", "../x", "ceremony.json"}, "ceremony targets: invalid target name \"../x\""},
		{[]string{"sign", "-holder", "bob", "-token", "fake", "-serial", "40900249", "-pin-fd", "3"}, "ceremony sign: -serial \"40900249\" selects a YubiKey (-token piv)"},
		{[]string{"enroll", "-holder", "frank", "-token", "fake", "-serial", "1"}, "ceremony enroll: -serial \"1\" selects a YubiKey"},
	} {
		r := tl.in(c.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) {
			t.Errorf("%v: %v\nwant exit 2 and stderr starting %q", c.args, r, c.want)
		}
		if strings.Contains(r.stderr, "ceremony: ceremony") || strings.Contains(r.stderr, ": ceremony:") {
			t.Errorf("%v: doubled prefix: %s", c.args, r.stderr)
		}
	}
	if tl.exists("keys/frank.json") || tl.pinReads.Load() != 0 {
		t.Fatal("a refused command wrote a key file or read the PIN")
	}
}

// TestSubcommandHelp: "ceremony targets -h" and "ceremony delegation -h"
// print their subcommands and exit 0, as main's usage promises for every
// command ("Run \"ceremony <command> -h\""); they used to fail with
// "unknown subcommand \"-h\"".
func TestSubcommandHelp(t *testing.T) {
	tl := newTool(t)
	for _, c := range []struct {
		cmd  string
		want []string
	}{
		{"targets", []string{"ceremony targets add NAME FILE", "ceremony targets list"}},
		{"delegation", []string{"add", "target", "sign", "publish", "list"}},
	} {
		for _, h := range []string{"-h", "--help", "help"} {
			r := tl.run(c.cmd, h)
			if r.code != 0 {
				t.Errorf("%s %s: %v", c.cmd, h, r)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s %s: help lacks %q: %v", c.cmd, h, w, r)
				}
			}
		}
	}
}

// TestRestageSaysSignaturesAreRemoved: staging again removes the
// signatures over the earlier staged root (they no longer verify); it
// used to do so without a word, so a host who re-ran stage by mistake did
// not learn that the keyholders must sign again.
func TestRestageSaysSignaturesAreRemoved(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	r := tl.must("stage", "-threshold", "2")
	if strings.Contains(r.stdout, "Removed") {
		t.Fatalf("restaging with no signatures mentions removed ones:\n%v", r)
	}
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	r = tl.must("stage", "-threshold", "2")
	if !strings.Contains(r.stdout, "Removed the signatures over the earlier staged root (alice, bob): they must sign again.") {
		t.Fatalf("restaging over two signatures:\n%v", r)
	}
	if files, _ := filepath.Glob(tl.path("staged/signatures/*")); len(files) != 0 {
		t.Fatalf("stale signatures left: %v", files)
	}
	if st := tl.must("status"); !strings.Contains(st.stdout, "signed:  nobody") {
		t.Fatalf("status after restaging:\n%v", st)
	}
}

// TestFakeTokenUnderYubicoRootsNamesTheSource: refusing a fake token under
// Yubico's roots names where "yubico" came from. With -attestation-roots
// yubico it used to blame ceremony.json, which said "fake".
func TestFakeTokenUnderYubicoRootsNamesTheSource(t *testing.T) {
	fakeRoots := newTool(t)
	fakeRoots.must("init", "-name", "test", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake")
	yubico := newTool(t)
	yubico.must("init", "-name", "test", "-threshold", "1", "-online-signers", testKMSSigners("test"))
	for _, c := range []struct {
		tl   *tool
		args []string
		want string
	}{
		{fakeRoots, []string{"enroll", "-holder", "alice", "-token", "fake", "-attestation-roots", "yubico"}, `("yubico" from -attestation-roots)`},
		{yubico, []string{"enroll", "-holder", "alice", "-token", "fake"}, `("yubico" from attestation_roots in ceremony.json)`},
	} {
		r := c.tl.in(c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: %v\nwant %s", c.args, r, c.want)
		}
	}
}

// TestVerifyBeforePublish: before the first publish, verify checks the
// policy and the enrolled keys and says that no root is trusted yet; it
// used to print "Verified: root v0 trusted". With -trusted (a root was
// published once), an empty repository is a missing one and fails.
func TestVerifyBeforePublish(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	r := tl.in("verify")
	if r.code != 0 || !strings.Contains(r.stdout, "no root is published yet, so nothing is trusted") || strings.Contains(r.stdout, "root v0") {
		t.Fatalf("verify before publish: %v", r)
	}
	pub := newTool(t)
	pub.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		pub.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	pub.must("publish")
	r = tl.in("verify", "-trusted", pub.path("repository/1.root.json"))
	if r.code != 1 || !strings.Contains(r.stderr, "the published repository is missing") {
		t.Fatalf("verify -trusted over an empty repository: %v", r)
	}
}

// TestEnrollWarnsOfAnotherHoldersToken: enrolling the key that another
// keyholder already enrolled says so at once, with the way to move a key
// to a new name; it used to pass in silence, and stage then failed with a
// key-ID error naming no keyholder. (It is not refused: re-enrolling a
// key under a new name is how a key ID migration starts.)
func TestEnrollWarnsOfAnotherHoldersToken(t *testing.T) {
	tl := newTool(t)
	tl.must("init", "-name", "test", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", "fake")
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	r := tl.must("enroll", "-holder", "bob", "-token", "fake", "-fake-token", "alice")
	if !strings.Contains(r.stdout, "Warning: key 917455ad4bddf888 is also enrolled by alice (keys/alice.json). A root lists a key once: stage -replace alice=bob moves it") {
		t.Fatalf("bob enrolling alice's token: %v", r)
	}
	if r := tl.must("enroll", "-holder", "carol", "-token", "fake"); strings.Contains(r.stdout, "Warning") {
		t.Fatalf("a distinct token drew a warning: %v", r)
	}
	if r := tl.must("enroll", "-holder", "alice", "-token", "fake", "-force"); strings.Contains(r.stdout, "Warning: key 917455ad4bddf888 is also enrolled by alice") {
		t.Fatalf("re-enrolling one's own token warned about oneself: %v", r)
	}
}

// TestTargetsReplaceKeepsCustom: replacing a target's file without
// -custom keeps its custom metadata. It used to drop it, so replacing
// fulcio.crt.pem without repeating {"sigstore":{"usage":"Fulcio",
// "status":"Active"}} made every service stop loading it.
func TestTargetsReplaceKeepsCustom(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	file := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, file, []byte("first\n"))
	const custom = `{"sigstore":{"usage":"Fulcio","status":"Active"}}`
	tl.must("targets", "add", "fulcio.crt.pem", file, "-custom", custom)
	writeFile(t, file, []byte("second\n"))
	r := tl.must("targets", "add", "fulcio.crt.pem", file)
	if !strings.Contains(r.stdout, "Keeping fulcio.crt.pem's custom metadata "+normJSON(t, custom)) || !strings.Contains(r.stdout, "Replaced target fulcio.crt.pem") {
		t.Fatalf("replace without -custom: %v", r)
	}
	if got := customOf(t, tl, "fulcio.crt.pem"); got != normJSON(t, custom) {
		t.Fatalf("custom after replace = %s, want %s", got, custom)
	}
	// -custom still sets it.
	const retired = `{"sigstore":{"usage":"Fulcio","status":"Expired"}}`
	tl.must("targets", "add", "fulcio.crt.pem", file, "-custom", retired)
	if got := customOf(t, tl, "fulcio.crt.pem"); got != normJSON(t, retired) {
		t.Fatalf("custom after -custom = %s, want %s", got, retired)
	}
}

// customOf returns a target's custom metadata, compacted, from the newest
// published targets metadata.
func customOf(t *testing.T, tl *tool, name string) string {
	t.Helper()
	vs, _ := filepath.Glob(tl.path("repository/*.targets.json"))
	best, bestV := "", -1
	for _, p := range vs {
		var v int
		if _, err := fmt.Sscanf(filepath.Base(p), "%d.targets.json", &v); err == nil && v > bestV {
			best, bestV = p, v
		}
	}
	if best == "" {
		t.Fatal("no targets metadata published")
	}
	var doc struct {
		Signed struct {
			Targets map[string]struct {
				Custom json.RawMessage `json:"custom"`
			} `json:"targets"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(readFile(t, best), &doc); err != nil {
		t.Fatal(err)
	}
	return normJSON(t, string(doc.Signed.Targets[name].Custom))
}

// normJSON returns s compacted with object keys sorted.
func normJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestDelegationTargetReplaceKeepsCustom: the same for a delegated role's
// staged targets.
func TestDelegationTargetReplaceKeepsCustom(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob", "carol"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	tl.must("publish")
	tl.must("delegation", "add", "-role", "proj", "-key", "fake:p1", "-threshold", "1", "-paths", "proj/*")
	file := filepath.Join(t.TempDir(), "k.pub")
	writeFile(t, file, []byte("first\n"))
	const custom = `{"sigstore":{"usage":"Rekor","status":"Active"}}`
	tl.must("delegation", "target", "-role", "proj", "proj/k.pub", file, "-custom", custom)
	writeFile(t, file, []byte("second\n"))
	r := tl.must("delegation", "target", "-role", "proj", "proj/k.pub", file)
	if !strings.Contains(r.stdout, "Keeping proj/k.pub's custom metadata {") {
		t.Fatalf("replace without -custom: %v", r)
	}
	var doc struct {
		Signed struct {
			Targets map[string]struct {
				Custom json.RawMessage `json:"custom"`
			} `json:"targets"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(tl.read("staged/delegations/proj/metadata.json"), &doc); err != nil {
		t.Fatal(err)
	}
	if got := normJSON(t, string(doc.Signed.Targets["proj/k.pub"].Custom)); got != normJSON(t, custom) {
		t.Fatalf("staged custom = %s, want %s", got, custom)
	}
}

// TestInitRefusesCredentialsAndBadRoots: ceremony.json is committed to
// git, so init refuses an online signer URI that carries credentials or a
// query (it used to store and print it verbatim), an empty signer, and an
// attestation-roots file that holds no root (it used to be accepted and
// fail only at the first enrolment).
func TestInitRefusesCredentialsAndBadRoots(t *testing.T) {
	notRoots := filepath.Join(t.TempDir(), "roots.pem")
	writeFile(t, notRoots, []byte("not a certificate\n"))
	for _, c := range []struct {
		args   []string
		code   int
		want   string
		absent string
	}{
		{[]string{"-online-signers", "targets=hashivault://user:s3cret@vault/key"}, 2, "carries credentials", "s3cret"},
		{[]string{"-online-signers", "timestamp=awskms:///alias/ts?token=s3cret"}, 2, "carries credentials", "s3cret"},
		{[]string{"-online-signers", "snapshot="}, 2, "snapshot has no signer", ""},
		{[]string{"-online-signers", "fake", "-attestation-roots", notRoots}, 1, "holds no self-signed root certificate", ""},
		{[]string{"-online-signers", "fake", "-attestation-roots", notRoots + ".missing"}, 1, "reading attestation roots", ""},
		// Online signers must be named; fake ones are for demos only.
		{nil, 2, "-online-signers is required", ""},
		{[]string{"-online-signers", "targets=awskms:///alias/t"}, 2, "names no signer for snapshot and timestamp", ""},
		{[]string{"-online-signers", "fake"}, 2, "INSECURE keys for demos, but -attestation-roots yubico is for a real ceremony", ""},
		{[]string{"-online-signers", "targets=fake:t,snapshot=awskms:///alias/s,timestamp=hashivault://t"}, 2, "fake:t", ""},
		{[]string{"-online-signers", "targets=piv,snapshot=awskms:///alias/s,timestamp=hashivault://t"}, 2, "not a YubiKey", ""},
		{[]string{"-online-signers", "targets=/etc/key.pem,snapshot=awskms:///alias/s,timestamp=hashivault://t"}, 2, "neither a KMS URI", ""},
	} {
		tl := newTool(t)
		r := tl.in(append([]string{"init"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || (c.absent != "" && strings.Contains(r.stdout+r.stderr, c.absent)) {
			t.Errorf("init %v: %v\nwant exit %d and %q", c.args, r, c.code, c.want)
		}
		if tl.exists("ceremony.json") {
			t.Errorf("init %v wrote ceremony.json", c.args)
		}
	}
	tl := newTool(t)
	r := tl.must("init", "-online-signers", "targets=gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1,snapshot=awskms:///alias/s,timestamp=pem:/srv/keys/timestamp.pem")
	if strings.Contains(r.stdout, "fake") || !strings.Contains(r.stdout, "only as safe as that file") {
		t.Errorf("init with KMS and pem: signers: %v", r)
	}
	demo := newTool(t)
	r = demo.must("init", "-online-signers", "fake", "-attestation-roots", "fake")
	if !strings.Contains(r.stdout, "Warning: the online roles are signed by fake, INSECURE keys") {
		t.Errorf("init with fake online signers gives no warning: %v", r)
	}
}
