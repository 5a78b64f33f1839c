package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mermaidGate, set to 1, makes TestDiagramRendered fail instead of skip
// when mermaid-cli or chromium is missing. scripts/test.sh sets it; CI
// installs both with scripts/install-deps.sh.
const mermaidGate = "CEREMONY_MERMAID"

// maxDiagramWidth is the widest a rendered production chain may be: wider
// SVGs are scaled down to a page's column, and their text with them.
const maxDiagramWidth = 1200

// mermaidCLI is mermaid's own renderer (mermaid-cli, pinned in
// testdata/mermaid) driving Debian's chromium.
type mermaidCLI struct{ mmdc, config string }

func findMermaidCLI(t *testing.T) *mermaidCLI {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "mermaid"))
	if err != nil {
		t.Fatal(err)
	}
	m := &mermaidCLI{mmdc: filepath.Join(dir, "node_modules", ".bin", "mmdc"), config: filepath.Join(dir, "puppeteer-config.json")}
	var cfg struct {
		ExecutablePath string `json:"executablePath"`
	}
	if err := json.Unmarshal(readFile(t, m.config), &cfg); err != nil || cfg.ExecutablePath == "" {
		t.Fatalf("%s names no executablePath: %v", m.config, err)
	}
	var missing []string
	if _, err := os.Stat(m.mmdc); err != nil {
		missing = append(missing, fmt.Sprintf("mermaid-cli (%s; scripts/install-deps.sh runs npm ci there)", m.mmdc))
	}
	if _, err := os.Stat(cfg.ExecutablePath); err != nil {
		missing = append(missing, fmt.Sprintf("chromium (%s; apt-get install chromium)", cfg.ExecutablePath))
	}
	if len(missing) > 0 {
		if os.Getenv(mermaidGate) == "1" {
			t.Fatalf("%s=1 but the renderer is missing: %s", mermaidGate, strings.Join(missing, "; "))
		}
		t.Skipf("renderer missing (set %s=1 to make this a failure): %s", mermaidGate, strings.Join(missing, "; "))
	}
	return m
}

// render runs mmdc on one input file (.mmd, or .md holding mermaid
// fences) and returns the SVGs it wrote, in order.
func (m *mermaidCLI) render(t *testing.T, input string) []string {
	t.Helper()
	dir := filepath.Dir(input)
	md := strings.HasSuffix(input, ".md")
	out := filepath.Join(dir, "out.svg")
	if md {
		out = filepath.Join(dir, "out.md")
	}
	cmd := exec.Command(m.mmdc, "-p", m.config, "-i", input, "-o", out, "-q")
	cmd.Env = append(os.Environ(), "PUPPETEER_SKIP_DOWNLOAD=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mmdc -i %s: %v\n%s", filepath.Base(input), err, b)
	}
	if !md {
		return []string{string(readFile(t, out))}
	}
	var svgs []string
	for i := 1; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("out-%d.svg", i))
		if _, err := os.Stat(p); err != nil {
			break
		}
		svgs = append(svgs, string(readFile(t, p)))
	}
	return svgs
}

var (
	svgViewBox = regexp.MustCompile(`<svg[^>]*viewBox="[-0-9.]+ [-0-9.]+ ([0-9.]+) ([0-9.]+)"`)
	svgTag     = regexp.MustCompile(`<[^>]*>`)
	svgStyle   = regexp.MustCompile(`(?s)<style.*?</style>`)
)

// svgSize returns the rendered width and height.
func svgSize(t *testing.T, svg string) (float64, float64) {
	t.Helper()
	m := svgViewBox.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("SVG without a viewBox: %.300s", svg)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	return w, h
}

// svgText is the text a reader sees: labels without markup, entities
// decoded, non-breaking spaces as spaces.
func svgText(svg string) string {
	s := svgStyle.ReplaceAllString(svg, " ")
	s = html.UnescapeString(svgTag.ReplaceAllString(s, " "))
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// TestDiagramRendered renders with mermaid's own renderer the diagrams of
// the demo (as .mmd), of a staged rotation, and of Sigstore's production
// and staging chains (as markdown): each parses and shows every version
// and every keyholder as text, and the production chain's 15 versions fit
// in maxDiagramWidth.
func TestDiagramRendered(t *testing.T) {
	m := findMermaidCLI(t)
	work := t.TempDir()

	type diagram struct {
		name     string
		versions []string
		names    []string
		svg      string
	}
	dir, _ := demoRun(t)
	demoTool := &tool{t: t, dir: dir, tokens: newFakeTokens()}
	staged := stagedRotation(t)
	prod := sigstorePath(t, "prod")
	stci := sigstorePath(t, "staging-tuf-on-ci")
	demoNames := holderNames(t, filepath.Join(dir, "repository"))
	ds := []*diagram{
		{name: "demo", versions: []string{"root v1", "root v2", "root v3"}, names: demoNames},
		{name: "staged rotation", versions: []string{"root v1", "root v2", "root v3", "root v4 · staged, being signed"},
			names: append(demoNames, "missing: alice, carol, erin, frank", "missing: carol, erin, frank")},
		{name: "production", versions: versionsUpTo(15), names: append(holderNames(t, prod), "key ID bdde902f")},
		{name: "staging-tuf-on-ci", versions: versionsUpTo(14), names: holderNames(t, stci)},
	}

	// The .mmd form goes to mmdc as it is (it failed with fences).
	mmd := filepath.Join(work, "demo", "chain.mmd")
	if err := os.MkdirAll(filepath.Dir(mmd), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, mmd, []byte(demoTool.in("diagram", "-format", "mmd").stdout))
	ds[0].svg = m.render(t, mmd)[0]

	// The markdown form, three diagrams in one file, in one browser.
	var md strings.Builder
	for _, out := range []result{
		staged.in("diagram"),
		(&tool{t: t, dir: work, tokens: newFakeTokens()}).run("diagram", "-chain", prod),
		(&tool{t: t, dir: work, tokens: newFakeTokens()}).run("diagram", "-chain", stci),
	} {
		if out.code != 0 {
			t.Fatalf("diagram: %v", out)
		}
		md.WriteString("Some text a README would have.\n\n" + out.stdout + "\n")
	}
	mdFile := filepath.Join(work, "md", "chains.md")
	if err := os.MkdirAll(filepath.Dir(mdFile), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, mdFile, []byte(md.String()))
	svgs := m.render(t, mdFile)
	if len(svgs) != 3 {
		t.Fatalf("mmdc rendered %d diagrams of 3", len(svgs))
	}
	for i, svg := range svgs {
		ds[i+1].svg = svg
	}

	for _, d := range ds {
		w, h := svgSize(t, d.svg)
		t.Logf("%s: %.0f x %.0f px", d.name, w, h)
		text := svgText(d.svg)
		for _, v := range d.versions {
			if !regexp.MustCompile(regexp.QuoteMeta(v) + `\b`).MatchString(text) {
				t.Errorf("%s: the rendered SVG does not show %q", d.name, v)
			}
		}
		for _, n := range d.names {
			if !strings.Contains(text, n) {
				t.Errorf("%s: the rendered SVG does not show %q", d.name, n)
			}
		}
		if d.name == "production" && w > maxDiagramWidth {
			t.Errorf("production chain renders %.0f px wide, more than %d", w, maxDiagramWidth)
		}
	}
}

func versionsUpTo(n int) []string {
	var vs []string
	for v := 1; v <= n; v++ {
		vs = append(vs, fmt.Sprintf("root v%d", v))
	}
	return vs
}
