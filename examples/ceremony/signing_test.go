package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/root"
)

// TestSignShowsWhatIsSigned: before the token asks for a PIN, sign shows
// the keyholder the version, the payload's SHA-256, the thresholds, the
// expiry and what changes from the previous root, by keyholder name; status
// shows the same SHA-256 for attendees to compare aloud. sign used to ask
// for the PIN having shown nothing.
func TestSignShowsWhatIsSigned(t *testing.T) {
	tl := publishedV1(t)
	tl.must("enroll", "-holder", "frank", "-token", "fake")
	tl.must("stage", "-replace", "dave=frank")
	st, err := root.Parse(tl.read("staged/root.json"))
	if err != nil {
		t.Fatal(err)
	}
	digest := payloadDigest(st)
	var atPIN string
	tl.onPIN = func(out string) { atPIN = out }
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	for _, want := range []string{
		"You are signing root v2 of \"test\"",
		"signing payload SHA-256  " + digest,
		"expires                  " + formatTime(st.Expires()) + " (in 179 days)",
		"needs                    3 of 5 keys of root v1 (previous); 3 of 5 keys of root v2 (own)",
		"Changes from v1 to v2:",
		"- dave key",
		"+ frank key",
	} {
		if !strings.Contains(atPIN, want) {
			t.Errorf("when the PIN was read, sign had not shown %q:\n%s", want, atPIN)
		}
	}
	for _, format := range []string{"text", "markdown", "json"} {
		if r := tl.must("status", "-format", format); !strings.Contains(r.stdout, digest) {
			t.Errorf("status -format %s does not show the staged root's SHA-256 %s:\n%s", format, digest, r.stdout)
		}
	}
}

// editStaged rewrites staged/root.json's signed object with edit.
func editStaged(t *testing.T, tl *tool, edit func(signed map[string]any)) {
	t.Helper()
	var file map[string]any
	if err := json.Unmarshal(tl.read("staged/root.json"), &file); err != nil {
		t.Fatal(err)
	}
	edit(file["signed"].(map[string]any))
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tl.path("staged/root.json"), data)
}

// TestSignAndPublishRefuseAnEditedStagedRoot: a staged root edited by hand
// after two keyholders signed (root threshold lowered to 1, expiry moved to
// 2030) is refused by sign and by publish, with the departures from
// ceremony.json listed, unless -allow-policy-departure is given, and then
// the output says so. It used to be signed by one keyholder and published.
func TestSignAndPublishRefuseAnEditedStagedRoot(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	for _, h := range []string{"alice", "bob"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	editStaged(t, tl, func(s map[string]any) {
		s["roles"].(map[string]any)["root"].(map[string]any)["threshold"] = 1
		s["expires"] = "2030-01-01T00:00:00Z"
	})
	before := treeContents(t, tl.dir)
	r := tl.in("sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3")
	for _, want := range []string{"refusing to sign: the staged root departs from ceremony.json", "the root threshold is 1, ceremony.json says 3", "it expires on 2030-01-01T00:00:00Z", "ceremony.json allows 180 days"} {
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Fatalf("sign of an edited staged root: want %q: %v", want, r)
		}
	}
	if n := tl.pinReads.Load(); n != 2 {
		t.Errorf("the PIN was read %d times, want only alice's and bob's", n)
	}
	if r := tl.in("publish"); r.code != 1 || !strings.Contains(r.stderr, "refusing to publish: the staged root departs from ceremony.json") {
		t.Fatalf("publish of an edited staged root: %v", r)
	}
	if !mapsEqual(before, treeContents(t, tl.dir)) {
		t.Fatal("a refused sign or publish changed the repository")
	}
	r = tl.must("sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3", "-allow-policy-departure")
	if !strings.Contains(r.stdout, "WARNING: Signing despite 2 departure(s) from ceremony.json (-allow-policy-departure)") {
		t.Fatalf("sign -allow-policy-departure does not say so: %v", r)
	}
	// With carol's signature the edited root meets its threshold of 1.
	if r := tl.in("publish"); r.code != 1 || !strings.Contains(r.stderr, "refusing to publish: the staged root departs from ceremony.json") || tl.exists("repository/1.root.json") {
		t.Fatalf("publish of the edited staged root carol signed: %v", r)
	}
	r = tl.must("publish", "-allow-policy-departure")
	if !strings.Contains(r.stdout, "WARNING: Publishing despite 2 departure(s)") {
		t.Fatalf("publish -allow-policy-departure does not say so: %v", r)
	}
}

// TestStagedRootDepartures: what the comparison with ceremony.json and the
// enrolled keys catches beyond thresholds and expiry.
func TestStagedRootDepartures(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(s map[string]any)
		want string
	}{
		{"timestamp threshold", func(s map[string]any) {
			s["roles"].(map[string]any)["timestamp"].(map[string]any)["threshold"] = 2
		}, "the timestamp threshold is 2, ceremony.json says 1"},
		{"consistent snapshots", func(s map[string]any) { s["consistent_snapshot"] = false }, "consistent snapshots are off"},
		{"expired", func(s map[string]any) { s["expires"] = "2020-01-01T00:00:00Z" }, "it expired on 2020-01-01T00:00:00Z"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tl := newTool(t)
			tl.setupV1Staged()
			editStaged(t, tl, c.edit)
			if r := tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"); r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("sign: want %q: %v", c.want, r)
			}
		})
	}
	// A root key nobody enrolled.
	tl := newTool(t)
	tl.setupV1Staged()
	removeFile(t, tl.path("keys/erin.json"))
	if r := tl.in("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"); r.code != 1 || !strings.Contains(r.stderr, "(erin) is not enrolled in keys/") {
		t.Fatalf("sign with erin's enrolment gone: %v", r)
	}
	// stage -threshold changes ceremony.json with the staged root, so sign
	// and publish accept it.
	tl = publishedV1(t)
	r := tl.must("stage", "-threshold", "4")
	if !strings.Contains(r.stdout, "Updated ceremony.json: root threshold 3 -> 4") {
		t.Fatalf("stage -threshold 4: %v", r)
	}
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	if r := tl.in("stage", "-expires-days", "400"); r.code != 2 || !strings.Contains(r.stderr, "-expires-days 400 out of range 1..180") {
		t.Fatalf("stage beyond ceremony.json's expiry period: %v", r)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// TestSignOnTwoBranchesMerges: a keyholder who signs the same staged root
// on two branches makes two different ECDSA signatures; the branches merge
// without a conflict and status counts the key once. Both signatures used
// to go to the same file name, so the merge conflicted.
func TestSignOnTwoBranchesMerges(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test needs git: %v", err)
	}
	tl := newTool(t)
	tl.setupV1Staged()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", tl.dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "stage root v1")
	for _, branch := range []string{"alice-1", "alice-2"} {
		git("checkout", "-q", "-b", branch, "main")
		tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
		tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
		git("add", "-A")
		git("commit", "-q", "-m", "sign on "+branch)
	}
	git("checkout", "-q", "main")
	git("merge", "-q", "--no-edit", "alice-1")
	git("merge", "-q", "--no-edit", "alice-2")
	files, _ := filepath.Glob(tl.path("staged/signatures/alice-*.json"))
	if len(files) != 2 {
		t.Fatalf("after the merges, alice has %d signature files, want 2 (one per branch): %v", len(files), files)
	}
	r := tl.must("status", "-format", "json")
	var st root.SigningStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if q := st.Requirements[0]; len(q.Signed) != 2 || q.Needed != 1 {
		t.Fatalf("status counts %d signers and needs %d more, want alice and bob once each and 1 more: %v", len(q.Signed), q.Needed, r)
	}
	tl.must("sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
	tl.must("verify")
}

// TestStatusNeededMeansTheSame: "needed" is how many more signatures a
// threshold needs, in the markdown comment as in the JSON form. The
// markdown used to call the threshold itself "needed".
func TestStatusNeededMeansTheSame(t *testing.T) {
	tl := newTool(t)
	tl.setupV1Staged()
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	var st root.SigningStatus
	if err := json.Unmarshal([]byte(tl.must("status", "-format", "json").stdout), &st); err != nil {
		t.Fatal(err)
	}
	md := tl.must("status", "-format", "markdown").stdout
	if st.Requirements[0].Needed != 2 || !strings.Contains(md, "(3 of 5, 2 more needed)") || strings.Contains(md, "3 needed") {
		t.Fatalf("JSON needed %d; markdown:\n%s", st.Requirements[0].Needed, md)
	}
}

// TestFakeTokenPINNamed: wherever the tool deals with fake tokens it names
// their PIN, which is no secret: in the usage, the -token flag, enroll,
// the sign prompt and the demo.
func TestFakeTokenPINNamed(t *testing.T) {
	tl := newTool(t)
	if r := tl.run("help"); !strings.Contains(r.stdout, fakePINNote) {
		t.Errorf("usage: %v", r)
	}
	if r := tl.run("sign", "-h"); !strings.Contains(r.stderr, fakePINNote) {
		t.Errorf("sign -h: %v", r)
	}
	tl.must("init", "-name", "test", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", "fake")
	if r := tl.must("enroll", "-holder", "alice", "-token", "fake"); !strings.Contains(r.stdout, fakePINNote) {
		t.Errorf("enroll -token fake: %v", r)
	}
	tl.must("stage")
	if r := tl.must("sign", "-holder", "alice", "-token", "fake"); !strings.Contains(r.stderr, "Enter the PIN of alice's token (the "+fakePINNote+")") {
		t.Errorf("sign -token fake at the prompt: %v", r)
	}
	if _, res := demoRun(t); !strings.Contains(res.stdout, fakePINNote) {
		t.Errorf("the demo does not name the fake tokens' PIN")
	}
}

// TestStageFollowsPolicyThreshold: a rotation staged after ceremony.json's
// root threshold was changed (in a reviewed pull request) takes the new
// threshold, so sign does not then refuse it as a departure.
func TestStageFollowsPolicyThreshold(t *testing.T) {
	tl := publishedV1(t)
	var p Policy
	if err := json.Unmarshal(tl.read("ceremony.json"), &p); err != nil {
		t.Fatal(err)
	}
	p.Root.Threshold = 4
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tl.path("ceremony.json"), data)
	if r := tl.must("stage"); !strings.Contains(r.stdout, "threshold 3 of 5 -> 4 of 5") {
		t.Fatalf("stage after ceremony.json's threshold went to 4: %v", r)
	}
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
}
