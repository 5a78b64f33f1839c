package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// boxOf returns the Mermaid line that draws version v (published or
// staged) in a diagram.
func boxOf(t *testing.T, diagram string, v int) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  v` + strconv.Itoa(v) + `(staged)?[\[{].*$`)
	line := re.FindString(diagram)
	if line == "" {
		t.Fatalf("no box for v%d in:\n%s", v, diagram)
	}
	return line
}

// holderNames reads, straight from the JSON of every N.root.json in dir,
// the keyholder annotations of root keys: what a diagram must show.
func holderNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.root.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no root files in %s: %v", dir, err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		var doc struct {
			Signed struct {
				Keys  map[string]map[string]any `json:"keys"`
				Roles map[string]struct {
					KeyIDs []string `json:"keyids"`
				} `json:"roles"`
			} `json:"signed"`
		}
		if err := json.Unmarshal(readFile(t, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, id := range doc.Signed.Roles["root"].KeyIDs {
			for _, field := range []string{"x-trustroot-keyholder", "x-tuf-on-ci-keyowner"} {
				if s, ok := doc.Signed.Keys[id][field].(string); ok && s != "" {
					seen[s] = true
				}
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func diagramOf(t *testing.T, args ...string) string {
	t.Helper()
	tl := &tool{t: t, dir: t.TempDir(), tokens: newFakeTokens()}
	r := tl.run(append([]string{"diagram"}, args...)...)
	if r.code != 0 {
		t.Fatalf("diagram %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// TestDiagramNamesAcrossChain: a key is named in every version by the
// name any root of the chain gives it, and a key no root names is shown
// by its TUF key ID, never by the tool's own fingerprint.
func TestDiagramNamesAcrossChain(t *testing.T) {
	stci := sigstorePath(t, "staging-tuf-on-ci")
	d := diagramOf(t, "-chain", stci, "-format", "mmd")
	// v1-v4's only key is named in v5's own entry.
	for v := 1; v <= 5; v++ {
		if box := boxOf(t, d, v); !strings.Contains(box, "signed: @-repo-import") {
			t.Errorf("staging-tuf-on-ci v%d does not name @-repo-import: %s", v, box)
		}
	}
	for _, n := range holderNames(t, stci) {
		if !strings.Contains(d, n) {
			t.Errorf("staging-tuf-on-ci diagram lacks keyholder %s", n)
		}
	}

	prod := sigstorePath(t, "prod")
	d = diagramOf(t, "-chain", prod, "-format", "mmd")
	// v1 lists no names; v10 names the same keys.
	if box := boxOf(t, d, 1); !strings.Contains(box, "@dlorenc") || !strings.Contains(box, "@mnm678") {
		t.Errorf("prod v1 does not carry v10's names back: %s", box)
	}
	// Luke Hinds' key (removed in v4) is never named: its v1-v3 key ID
	// is bdde902f... (shared README).
	if box := boxOf(t, d, 3); !strings.Contains(box, "did not sign: key\u00a0ID\u00a0bdde902f,") {
		t.Errorf("prod v3 does not show the unnamed key by its key ID: %s", box)
	}
	if strings.Contains(d, "fingerprint") || regexp.MustCompile(`[0-9a-f]{12}`).MatchString(d) {
		t.Errorf("the diagram shows a fingerprint or a long hex string:\n%s", d)
	}
	for _, n := range holderNames(t, prod) {
		if !strings.Contains(d, n) {
			t.Errorf("prod diagram lacks keyholder %s", n)
		}
	}
}

// TestDiagramFormats: markdown is the mmd text in a mermaid fence; mmd
// has no fence, so mmdc and .mmd files take it as is.
func TestDiagramFormats(t *testing.T) {
	dir, _ := demoRun(t)
	tl := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	md := tl.in("diagram")
	mmd := tl.in("diagram", "-format", "mmd")
	if md.code != 0 || mmd.code != 0 {
		t.Fatalf("diagram: %v\n%v", md, mmd)
	}
	if strings.Contains(mmd.stdout, "```") || !strings.HasPrefix(mmd.stdout, "---\n") || !strings.Contains(mmd.stdout, "\nflowchart TB\n") {
		t.Errorf("mmd output is not plain Mermaid:\n%s", mmd.stdout)
	}
	if want := "```mermaid\n" + mmd.stdout + "```\n"; md.stdout != want {
		t.Errorf("markdown output is not the mmd output fenced:\n%s", md.stdout)
	}
}

// TestDiagramMatchesVerify: the demo's v2 was signed by alice, bob, carol
// and frank. frank's key is new in v2, so he counts only for v2's own
// threshold: the diagram and verify both say so, threshold by threshold.
func TestDiagramMatchesVerify(t *testing.T) {
	dir, _ := demoRun(t)
	tl := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	box := boxOf(t, tl.in("diagram", "-format", "mmd").stdout, 2)
	for _, want := range []string{
		"<i>3 of v1's 5 keys: met</i><br/>signed: alice, bob, carol<br/>did not sign: dave, erin",
		"<i>3 of its 5 keys: met</i><br/>signed: alice, bob, carol, frank<br/>did not sign: erin",
	} {
		if !strings.Contains(box, want) {
			t.Errorf("diagram v2 lacks %q: %s", want, box)
		}
	}
	r := tl.in("verify", "-json")
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("verify -json: %v %v", err, r)
	}
	if len(rep.Steps) != 3 || rep.Steps[1].Version != 2 || len(rep.Steps[1].Thresholds) != 2 {
		t.Fatalf("verify steps: %+v", rep.Steps)
	}
	got := map[string][]string{}
	for _, th := range rep.Steps[1].Thresholds {
		for _, k := range th.Signers {
			got[th.Name] = append(got[th.Name], k.Name+"="+string(k.Result))
		}
	}
	want := map[string][]string{
		"root v1 (previous)": {"alice=signed", "bob=signed", "carol=signed", "dave=missing", "erin=missing"},
		"root v2 (own)":      {"alice=signed", "bob=signed", "carol=signed", "frank=signed", "erin=missing"},
	}
	for name, w := range want {
		if strings.Join(got[name], " ") != strings.Join(w, " ") {
			t.Errorf("verify v2 %s: %v, want %v", name, got[name], w)
		}
	}
}

// stagedRotation copies the demo repository and stages v4 (alice hands
// over to dave), signed so far by bob (an old and a new key) and dave (a
// new key only).
func stagedRotation(t *testing.T) *tool {
	t.Helper()
	dir, _ := demoRun(t)
	tl := &tool{t: t, dir: cloneDir(t, dir), tokens: newFakeTokens(), pin: "123456"}
	tl.must("stage", "-replace", "alice=dave")
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	tl.must("sign", "-holder", "dave", "-token", "fake", "-pin-fd", "3")
	return tl
}

// TestDiagramStagedRotation: a staged rotation shows both thresholds it
// must meet, v3's and its own, and who is still missing from each.
func TestDiagramStagedRotation(t *testing.T) {
	tl := stagedRotation(t)
	d := tl.in("diagram", "-format", "mmd").stdout
	box := boxOf(t, d, 4)
	for _, want := range []string{
		"v4staged{{",
		"staged, being signed",
		"<i>4 of v3's 5 keys: needs 3 more</i><br/>signed: bob<br/>missing: alice, carol, erin, frank",
		"<i>4 of its 5 keys: needs 2 more</i><br/>signed: bob, dave<br/>missing: carol, erin, frank",
	} {
		if !strings.Contains(box, want) {
			t.Errorf("staged box lacks %q: %s", want, box)
		}
	}
	if !strings.Contains(d, "v3 -.-> v4staged") {
		t.Errorf("no dotted arrow from v3 to the staged root:\n%s", d)
	}
}

func TestMermaidText(t *testing.T) {
	for in, want := range map[string]string{
		"@jku":                  "@jku",
		"Santiago Torres-Arias": "Santiago Torres-Arias",
		`a"b`:                   "a_b",
		"<script>x</script>":    "_script_x_/script_",
		"#quot;":                "_quot_",
		"a\nb`c&amp;":           "a_b_c_amp_",
		"Zoë Ångström":          "Zoë Ångström",
		strings.Repeat("x", 50): strings.Repeat("x", maxLabelRunes) + "…",
	} {
		if got := mermaidText(in); got != want {
			t.Errorf("mermaidText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestKeyLabels: one name on two keys says which key; unnamed keys whose
// IDs share the first digits get longer IDs.
func TestKeyLabels(t *testing.T) {
	l := &keyLabels{
		names: map[string]string{"fa": "alice", "fb": "alice", "fc": "bob"},
		ids: map[string]string{
			"fa": "1111111111111111aaaa", "fb": "2222222222222222bbbb", "fc": "3333",
			"fd": "abcdef0123456789ffff", "fe": "abcdef0199999999eeee",
		},
	}
	l.finish()
	for fp, want := range map[string]string{
		"fa": "alice (key ID 1111111111111111)", "fb": "alice (key ID 2222222222222222)", "fc": "bob",
		"fd": "key ID abcdef0123456789", "fe": "key ID abcdef0199999999",
		"ff00112233445566778899": "fingerprint ff00112233445566",
	} {
		if got := l.label(fp); got != want {
			t.Errorf("label(%s) = %q, want %q", fp, got, want)
		}
	}
}

// FuzzMermaidText: whatever a root names its keyholders, a label holds no
// character that Mermaid or HTML reads as markup, and is bounded.
func FuzzMermaidText(f *testing.F) {
	for _, s := range []string{"@jku", `"]; click v1 "javascript:x"`, "<img src=x>", "#35;", "a\nb", "```", "Zoë"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := mermaidText(s)
		if strings.ContainsAny(got, "\"<>&#;`\n\r[]{}|") {
			t.Fatalf("mermaidText(%q) = %q holds markup", s, got)
		}
		if n := utf8.RuneCountInString(got); n > maxLabelRunes+1 {
			t.Fatalf("mermaidText(%q) has %d runes", s, n)
		}
	})
}
