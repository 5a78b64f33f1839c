package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pageRepo is a copy of the demo repository with root v4 staged and
// signed by bob only: 1 of the 4 signatures v3 needs, 1 of v4's 3.
func pageRepo(t *testing.T) *tool {
	t.Helper()
	src, _ := demoRun(t)
	tl := newTool(t)
	tl.dir = cloneDir(t, src)
	tl.must("stage", "-threshold", "3")
	tl.must("sign", "-holder", "bob", "-token", "fake", "-pin-fd", "3")
	return tl
}

func (tl *tool) page(args ...string) (string, result) {
	tl.t.Helper()
	out := filepath.Join(tl.t.TempDir(), "site")
	r := tl.in(append([]string{"page", "-out", out}, args...)...)
	if r.code != 0 {
		return "", r
	}
	return string(readFile(tl.t, filepath.Join(out, "index.html"))), r
}

// text is the page with tags removed and entities of quotes decoded, to
// look for phrases a reader sees.
func pageText(html string) string {
	s := regexp.MustCompile(`(?s)<style>.*?</style>|<title>.*?</title>`).ReplaceAllString(html, " ")
	s = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, " ")
	s = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func TestPageDemo(t *testing.T) {
	tl := pageRepo(t)
	html, r := tl.page()
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	if !strings.Contains(r.stdout, "root v3, staged v4 not ready to publish, 5 target(s), 1 delegation(s)") {
		t.Errorf("summary: %q", r.stdout)
	}
	text := pageText(html)
	for _, want := range []string{
		"demo: root of trust",
		"Root v1 to v3 verified",
		"trusted on first use",
		// The chain: every version, every keyholder by name and token.
		"root v1", "root v2", "root v3", "root v4 3 of 5 keys staged, being signed",
		"alice token", "bob token", "carol token", "dave token", "erin token", "frank token",
		// The staged root's status.
		"Root v4 is being signed", "not ready to publish",
		"root v3 (previous) needs 3 more signatures; root v4 (own) needs 2 more signatures.",
		"root v4 (own) 1 of 5 signed, threshold 3 2 more needed bob alice, carol, erin, frank",
		// Expiry of every role.
		"root v3 3", "targets 8", "snapshot 9", "timestamp 9", "acme (delegated) 1",
		// Targets with their custom metadata, and the delegation.
		"fulcio.crt.pem", `"usage": "Fulcio"`, `"status": "Active"`, "trusted_root.json", "acme/release.pub",
		"acme acme/* 2 of 2:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	// Who signed which version: bob signed v4, alice did not sign v3.
	for _, want := range []string{"<title>bob signed root v4</title>", "<title>alice holds a root key of v3 but did not sign it</title>",
		"<title>alice has not signed root v4 yet</title>", "<title>dave holds a root key of v1 but did not sign it</title>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the chain drawing lacks %q", want)
		}
	}
	if strings.Contains(html, "<title>dave has not signed root v4") {
		t.Error("dave, replaced in v2, is drawn as a signer of v4")
	}
	checkSelfContained(t, html)
}

// checkSelfContained fails if the page could fetch anything: no scripts,
// frames, images or imports; links only to files beside it; a
// Content-Security-Policy that forbids every fetch.
func checkSelfContained(t *testing.T, html string) {
	t.Helper()
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(html)
	if style == nil {
		t.Fatal("the page has no style sheet")
	}
	for _, bad := range []string{"url(", "@import", "@font-face"} {
		if strings.Contains(style[1], bad) {
			t.Errorf("the style sheet contains %q", bad)
		}
	}
	attr := regexp.MustCompile(`\s([a-zA-Z:-]+)="([^"]*)"`)
	for _, tag := range regexp.MustCompile(`<([a-zA-Z]+)[^>]*>`).FindAllStringSubmatch(html, -1) {
		switch strings.ToLower(tag[1]) {
		case "script", "iframe", "object", "embed", "img", "image", "use", "video", "audio", "source", "form", "base":
			t.Errorf("the page has a <%s> element: %s", tag[1], tag[0])
		}
		for _, a := range attr.FindAllStringSubmatch(tag[0], -1) {
			name, val := strings.ToLower(a[1]), a[2]
			switch {
			case name == "src" || strings.HasPrefix(name, "on") || name == "xlink:href":
				t.Errorf("the page has %s= in %s", name, tag[0])
			case name == "href" && val != "data:," && (strings.Contains(val, ":") || strings.HasPrefix(val, "/")):
				t.Errorf("the page links to %q, outside its own files", val)
			case strings.Contains(val, "url(") && val != "url(#arrowhead)":
				t.Errorf("the page refers to %q", val)
			}
		}
	}
	if !strings.Contains(html, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`) {
		t.Error("the page has no Content-Security-Policy that forbids every fetch")
	}
}

func TestPageWarnings(t *testing.T) {
	tl := pageRepo(t)
	// Eleven days on, the timestamp (7 days) has expired and the snapshot
	// (14 days) is inside its warning window (a quarter of 14 days); the
	// root is fine.
	var root3Expires string
	for _, line := range strings.Split(tl.in("verify").stdout, "\n") {
		if _, after, ok := strings.Cut(line, "expires "); ok && strings.HasPrefix(line, "Verified: root v3") {
			root3Expires = strings.TrimSuffix(after, ".")
		}
	}
	if root3Expires == "" {
		t.Fatal("no expiry of root v3 in verify's output")
	}
	html, r := tl.page("-at", timeAfterDays(t, tl, 11))
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	text := pageText(html)
	for _, want := range []string{
		"timestamp: expired 4 days ago; clients refuse it.",
		"snapshot: expires in 3 days. Re-sign it with the online key",
		"2 warning(s)",
	} {
		if !strings.Contains(text+r.stdout, want) {
			t.Errorf("after 11 days the page does not say %q\n%s", want, text)
		}
	}
	if strings.Contains(text, "root v3: expires") {
		t.Error("root v3 is flagged 11 days after it was signed")
	}

	// After the root's own expiry: the chain verifies but is expired.
	html, r = tl.page("-at", "2030-01-01T00:00:00Z")
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	text = pageText(html)
	for _, want := range []string{
		"Signatures of root v1 to v3 verify, but root v3 expired on " + root3Expires,
		"root v3: expired", "Root v4 is staged: gather its signatures and publish it.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("in 2030 the page does not say %q\n%s", want, text)
		}
	}
}

// timeAfterDays is the time days after the timestamp was last signed.
func timeAfterDays(t *testing.T, tl *tool, days int) string {
	t.Helper()
	o, err := openRepo(tl.env(nil, nil), tl.dir).loadOnline()
	if err != nil || o == nil {
		t.Fatalf("online metadata: %v", err)
	}
	// The timestamp expires 7 days after it was signed.
	signed := o.timestamp.Expires().AddDate(0, 0, -7)
	return formatTime(signed.AddDate(0, 0, days))
}

func TestPageTrustedAndTampered(t *testing.T) {
	tl := pageRepo(t)
	good := filepath.Join(t.TempDir(), "1.root.json")
	writeFile(t, good, tl.read("repository/1.root.json"))
	html, r := tl.page("-trusted", good)
	if html == "" || !strings.Contains(pageText(html), "Verified from the root you supplied (v1, SHA-256") {
		t.Fatalf("page -trusted: %v", r)
	}
	// The repository's 1.root.json swapped for another root: with the
	// announced root supplied, the page says the chain failed.
	swapped := &tool{t: t, dir: cloneDir(t, tl.dir), tokens: newFakeTokens()}
	writeFile(t, swapped.path("repository/1.root.json"), attackersV1(t, good, true))
	html, r = swapped.page("-trusted", good)
	if text := pageText(html); html == "" || !strings.Contains(text, "Chain verification FAILED") || !strings.Contains(text, "is not the trusted root "+good) {
		t.Fatalf("page -trusted over a swapped 1.root.json: %v\n%s", r, text)
	}

	// A forged v2 (every signature changed): the page still renders, and
	// says the chain failed.
	v2 := string(tl.read("repository/2.root.json"))
	forged := regexp.MustCompile(`"sig": "[0-9a-f]`).ReplaceAllStringFunc(v2, func(s string) string {
		if strings.HasSuffix(s, "0") {
			return s[:len(s)-1] + "1"
		}
		return s[:len(s)-1] + "0"
	})
	if forged == v2 {
		t.Fatal("could not change v2")
	}
	writeFile(t, tl.path("repository/2.root.json"), []byte(forged))
	html, r = tl.page()
	if html == "" {
		t.Fatalf("page over a forged v2: %v", r)
	}
	if text := pageText(html); !strings.Contains(text, "Chain verification FAILED") {
		t.Errorf("the page does not say the chain failed:\n%s", text)
	}
}

func TestPageEarly(t *testing.T) {
	// Before anything is published: the staged v1 and who signed it.
	tl := newTool(t)
	tl.setupV1Staged()
	tl.must("sign", "-holder", "carol", "-token", "fake", "-pin-fd", "3")
	html, r := tl.page()
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	text := pageText(html)
	for _, want := range []string{"No root is published yet.", "Root v1 is being signed", "root v1 3 of 5 keys staged, being signed",
		"needs 2 more", "Nothing is published yet.", "No targets are published.", "No delegated roles."} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q\n%s", want, text)
		}
	}
	if !strings.Contains(html, "<title>carol signed root v1</title>") {
		t.Error("carol's signature is not drawn")
	}
	checkSelfContained(t, html)
}

func TestPageEscapes(t *testing.T) {
	tl := pageRepo(t)
	f := filepath.Join(t.TempDir(), "x.txt")
	writeFile(t, f, []byte("x"))
	tl.must("targets", "add", "x.txt", f, "-custom", `{"note":"</pre><script>alert(1)</script><a href=\"https://example.com\">"}`)
	html, r := tl.page()
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	checkSelfContained(t, html)
	if !strings.Contains(pageText(html), `"note": "</pre><script>alert(1)</script>`) {
		t.Error("the custom metadata is not shown as text")
	}
}

func TestPageUsage(t *testing.T) {
	tl := newTool(t)
	if r := tl.in("page"); r.code != 2 || !strings.Contains(r.stderr, "-out DIR is required") {
		t.Errorf("page without -out: %v", r)
	}
	if r := tl.in("page", "-out", t.TempDir(), "-at", "tomorrow"); r.code != 2 || !strings.Contains(r.stderr, "RFC 3339") {
		t.Errorf("page -at tomorrow: %v", r)
	}
	if r := tl.in("page", "-out", t.TempDir()); r.code != 1 || !strings.Contains(r.stderr, "not a ceremony repository") {
		t.Errorf("page outside a ceremony repository: %v", r)
	}
	tl2 := pageRepo(t)
	if r := tl2.in("page", "-out", t.TempDir(), "-trusted", filepath.Join(t.TempDir(), "missing.json")); r.code != 1 || !strings.Contains(r.stderr, "missing.json") {
		t.Errorf("page with a missing -trusted file: %v", r)
	}
	if r := tl2.in("page", "-out", t.TempDir(), "extra"); r.code != 2 {
		t.Errorf("page with an argument: %v", r)
	}
}

func TestPageRemovedKeyholderSigns(t *testing.T) {
	// alice leaves in v4 but still signs it, for v3's threshold.
	src, _ := demoRun(t)
	tl := newTool(t)
	tl.dir = cloneDir(t, src)
	tl.must("stage", "-remove", "alice", "-threshold", "3")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	html, r := tl.page()
	if html == "" {
		t.Fatalf("page: %v", r)
	}
	if !strings.Contains(html, "<title>alice signed root v4 as a key of root v3</title>") {
		t.Error("alice's signature for the previous root is not drawn as such")
	}
	if !strings.Contains(pageText(html), "root v3 (previous) 1 of 5 signed, threshold 4 3 more needed alice") {
		t.Errorf("the staged status does not count alice for v3:\n%s", pageText(html))
	}
}
