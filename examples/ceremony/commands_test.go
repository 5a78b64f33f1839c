package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type step struct {
	args   []string
	code   int
	stdout []string // substrings of stdout
	stderr []string // substrings of stderr
	files  []string // must exist afterwards
	absent []string // must not exist afterwards
}

// TestCommandTable drives every command through a whole ceremony: each
// step is a command line with its exit status, output and files. A failing
// step must leave the repository exactly as it was.
func TestCommandTable(t *testing.T) {
	tl := newTool(t)
	target := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(target, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := []step{
		{args: []string{"status"}, code: 1, stderr: []string{"not a ceremony repository", "run init first"}},
		{args: []string{"init", "-name", "Bad Name"}, code: 2, stderr: []string{"invalid ceremony name"}},
		{args: []string{"init", "-name", "t", "-threshold", "3", "-attestation-roots", "fake", "-online-signers", "fake"}, stdout: []string{"Created"}, files: []string{"ceremony.json"}},
		{args: []string{"init", "-name", "t", "-online-signers", "fake", "-attestation-roots", "fake"}, code: 1, stderr: []string{"already exists"}},
		{args: []string{"enroll", "-token", "fake"}, code: 2, stderr: []string{"-holder is required"}},
		{args: []string{"enroll", "-holder", "alice"}, code: 2, stderr: []string{"-token piv|fake is required"}},
		{args: []string{"enroll", "-holder", "../x", "-token", "fake"}, code: 2, stderr: []string{"invalid keyholder name"}},
		{args: []string{"enroll", "-holder", "alice", "-token", "fake"}, stdout: []string{"Attestation verified", "Enrolled alice"}, files: []string{"keys/alice.json"}},
		{args: []string{"enroll", "-holder", "alice", "-token", "fake"}, code: 1, stderr: []string{"already enrolled"}},
		{args: []string{"enroll", "-holder", "bob", "-token", "fake"}, files: []string{"keys/bob.json"}},
		{args: []string{"enroll", "-holder", "carol", "-token", "fake"}, files: []string{"keys/carol.json"}},
		{args: []string{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"}, code: 1, stderr: []string{"nothing is staged"}},
		{args: []string{"stage", "-threshold", "4"}, code: 1, stderr: []string{"threshold"}, absent: []string{"staged/root.json"}},
		{args: []string{"stage", "-add", "dave"}, code: 2, stderr: []string{"nothing is published yet"}},
		{args: []string{"stage", "-threshold", "2"}, stdout: []string{"Staged root v1", "root      2 of 3", "+ alice", "Needs: 2 of 3 keys of root v1"}, files: []string{"staged/root.json"}},
		{args: []string{"status", "-format", "yaml"}, code: 2, stderr: []string{"-format"}},
		{args: []string{"status"}, stdout: []string{"0 of 3 signed", "missing: alice, bob, carol", "Not ready to publish"}},
		{args: []string{"publish"}, code: 1, stderr: []string{"cannot be published yet", "needs 2 more", "missing: alice, bob, carol"}, absent: []string{"repository/1.root.json"}},
		{args: []string{"sign", "-holder", "alice", "-token", "fake", "-pin", "123456"}, code: 2, stderr: []string{"flag provided but not defined: -pin"}},
		{args: []string{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"}, stdout: []string{"Signing root v1 as alice", "Wrote staged/signatures/alice-"}},
		{args: []string{"diagram"}, stdout: []string{"v1staged{{", "2 of its 3 keys: needs 1 more", "signed: alice<br/>missing: bob, carol"}},
		{args: []string{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"}, code: 1, stderr: []string{"alice has already signed staged root v1", "nothing written"}},
		{args: []string{"sign", "-holder", "bob", "-token", "fake", "-fake-token", "carol", "-pin-fd", "3"}, code: 1, stderr: []string{"wrong key", "plug in bob's token"}},
		{args: []string{"sign", "-holder", "zed", "-token", "fake"}, code: 1, stderr: []string{"zed is not enrolled"}},
		{args: []string{"status", "-format", "markdown"}, stdout: []string{"| root v1 (own) (2 of 3, 1 more needed) | alice | ✅ signed |", "| bob | ⏳ missing |"}},
		{args: []string{"sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3"}},
		{args: []string{"status"}, stdout: []string{"Ready to publish"}},
		{args: []string{"targets", "add", "ca.pem", target}, code: 1, stderr: []string{"no root is published yet"}},
		{args: []string{"publish"}, stdout: []string{"Published repository/1.root.json", "Root v1 SHA-256: "},
			files:  []string{"repository/1.root.json", "repository/root.json", "repository/1.targets.json", "repository/1.snapshot.json", "repository/timestamp.json"},
			absent: []string{"staged/root.json"}},
		{args: []string{"targets", "add", "ca.pem", target, "-custom", "[1]"}, code: 2, stderr: []string{"-custom must be one JSON object"}},
		{args: []string{"targets", "add", "../ca.pem", target}, code: 2, stderr: []string{"invalid target name"}},
		{args: []string{"targets", "add", "ca.pem", target, "-custom", `{"sigstore":{"usage":"Fulcio","status":"Active"}}`}, stdout: []string{"Added target ca.pem", "targets v2"}, files: []string{"repository/2.targets.json", "repository/2.snapshot.json"}},
		{args: []string{"targets", "list"}, stdout: []string{"ca.pem", `"usage":"Fulcio"`}},
		{args: []string{"delegation", "add", "-role", "proj", "-key", "fake:p1", "-threshold", "2", "-paths", "proj/*"}, code: 2, stderr: []string{"-threshold 2 out of range 1..1"}},
		{args: []string{"delegation", "add", "-role", "proj", "-key", "fake:p1", "-paths", "proj/*"}, stdout: []string{"Delegated proj/* to role proj"}, files: []string{"repository/3.targets.json", "staged/delegations/proj/metadata.json"}},
		{args: []string{"delegation", "target", "-role", "proj", "other/x.pem", target}, code: 1, stderr: []string{"outside role proj's paths"}},
		{args: []string{"delegation", "target", "-role", "proj", "proj/x.pem", target}, stdout: []string{"Staged target proj/x.pem"}},
		{args: []string{"delegation", "publish", "-role", "proj"}, code: 1, stderr: []string{"lacks a threshold"}},
		{args: []string{"delegation", "sign", "-role", "proj", "-key", "fake:p2"}, code: 1, stderr: []string{"is not a key of delegated role proj"}},
		{args: []string{"delegation", "sign", "-role", "proj", "-key", "fake:p1"}, stdout: []string{"Signed role proj v1"}},
		{args: []string{"delegation", "publish", "-role", "proj"}, stdout: []string{"Published role proj v1"}, files: []string{"repository/1.proj.json"}},
		{args: []string{"delegation", "list"}, stdout: []string{"proj: paths proj/*, 1 of 1 keys", "v1, 1 targets"}},
		{args: []string{"enroll", "-holder", "dave", "-token", "fake"}},
		{args: []string{"stage", "-replace", "carol=dave", "-add", "alice"}, code: 1, stderr: []string{"alice already holds a root key"}},
		{args: []string{"stage", "-remove", "zed"}, code: 1, stderr: []string{"zed holds no root key"}},
		{args: []string{"stage", "-replace", "carol=dave"}, stdout: []string{"Changes from v1 to v2", "- carol", "+ dave", "targets   unchanged"}},
		{args: []string{"sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3"}, stdout: []string{"Signing root v2 as carol"}},
		{args: []string{"sign", "-holder", "dave", "-token", "fake", "-pin-fd", "3"}},
		{args: []string{"status", "-format", "json"}, stdout: []string{`"complete": false`, `"needed": 1`}},
		{args: []string{"sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3"}},
		{args: []string{"publish"}, stdout: []string{"Published repository/2.root.json"}, files: []string{"repository/2.root.json"}},
		{args: []string{"verify"}, stdout: []string{"ok   root v2: needs 2 of v1's 3 keys: signed by alice, carol; not by bob. needs 2 of its 3 keys: signed by alice, dave; not by bob", "every root key is an enrolled key", "Verified: root v2"}},
		{args: []string{"verify", "-json"}, stdout: []string{`"verified": true`, `"final_version": 2`}},
		{args: []string{"diagram"}, stdout: []string{"```mermaid", "v1 ==> v2", "2 of v1's 3 keys: met</i><br/>signed: alice, carol<br/>did not sign: bob"}},
		{args: []string{"diagram", "-format", "mmd"}, stdout: []string{"flowchart TB", "v1 ==> v2"}},
		{args: []string{"diagram", "-format", "svg"}, code: 2, stderr: []string{"-format \"svg\": want markdown or mmd"}},
		{args: []string{"diagram", "-chain", "/nonexistent"}, code: 1, stderr: []string{"no N.root.json files"}},
		{args: []string{"verify", "-at", "yesterday"}, code: 2, stderr: []string{"not an RFC 3339 time"}},
		{args: []string{"frobnicate"}, code: 2, stderr: []string{"unknown command"}},
	}
	for i, s := range steps {
		before := treeContents(t, tl.dir)
		var r result
		if s.args[0] == "frobnicate" {
			r = tl.run(s.args...)
		} else {
			r = tl.in(s.args...)
		}
		name := strings.Join(s.args, " ")
		if r.code != s.code {
			t.Fatalf("step %d: ceremony %s: want exit %d, got %v", i, name, s.code, r)
		}
		for _, want := range s.stdout {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("step %d: ceremony %s: stdout lacks %q:\n%s", i, name, want, r.stdout)
			}
		}
		for _, want := range s.stderr {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("step %d: ceremony %s: stderr lacks %q:\n%s", i, name, want, r.stderr)
			}
		}
		for _, f := range s.files {
			if !tl.exists(f) {
				t.Errorf("step %d: ceremony %s: %s missing", i, name, f)
			}
		}
		for _, f := range s.absent {
			if tl.exists(f) {
				t.Errorf("step %d: ceremony %s: %s exists", i, name, f)
			}
		}
		if s.code != 0 {
			if after := treeContents(t, tl.dir); !reflect.DeepEqual(before, after) {
				t.Errorf("step %d: failed ceremony %s changed the repository", i, name)
			}
		}
		if strings.Contains(withoutPINNote(r.stdout+r.stderr), tl.pin) {
			t.Errorf("step %d: ceremony %s printed the PIN", i, name)
		}
	}
	// No PIN is in any file of the repository.
	for rel, data := range treeContents(t, tl.dir) {
		if strings.Contains(data, `"`+tl.pin+`"`) || strings.Contains(data, "pin\": \""+tl.pin) {
			t.Errorf("%s contains the PIN", rel)
		}
	}
	var js struct {
		Verified     bool `json:"verified"`
		FinalVersion int  `json:"final_version"`
	}
	if err := json.Unmarshal([]byte(tl.in("verify", "-json").stdout), &js); err != nil || !js.Verified || js.FinalVersion != 2 {
		t.Fatalf("verify -json = %+v, %v", js, err)
	}
}
