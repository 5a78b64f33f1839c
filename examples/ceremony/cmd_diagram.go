package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func cmdDiagram(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "diagram", "[-C DIR | -chain DIR] [-format markdown|mmd]")
	dir := repoFlag(f)
	chain := f.String("chain", "", "draw any `directory` of N.root.json files")
	format := f.String("format", "markdown", "`markdown` (a fenced block for a README or pull request) or mmd (plain Mermaid, for mmdc and .mmd files)")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if *format != "markdown" && *format != "mmd" {
		return usageErr("-format %q: want markdown or mmd", *format)
	}
	d := *chain
	if d == "" {
		d = filepath.Join(*dir, repoDir)
	}
	roots, err := readAllRoots(d)
	if err != nil && (*chain != "" || !strings.Contains(err.Error(), "no N.root.json")) {
		return err
	}
	var staged *root.Root
	enrolled := map[string]string{}
	if *chain == "" {
		// A root being signed is drawn too, with the signatures so far.
		r := openRepo(e, *dir)
		if _, serr := os.Lstat(r.path(stagedRoot)); serr == nil {
			s, serr := r.mergeSignatures()
			if serr == nil {
				staged = s.st
			} else if !strings.Contains(serr.Error(), "already published") {
				return serr
			}
		}
		// Enrolments name keys that no root names.
		if keys, kerr := r.loadKeys(); kerr == nil {
			for _, k := range keys {
				enrolled[k.Fingerprint] = k.Holder
			}
		}
	}
	if len(roots) == 0 && staged == nil {
		return err
	}
	if *format == "markdown" {
		e.printf("```mermaid\n")
	}
	writeMermaid(e.stdout, roots, staged, enrolled)
	if *format == "markdown" {
		e.printf("```\n")
	}
	return nil
}

func readAllRoots(dir string) ([]*root.Root, error) {
	vs, err := rootVersions(dir, dir)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("ceremony: no N.root.json files in %s", dir)
	}
	if len(vs) > verify.DefaultMaxRootSteps {
		return nil, fmt.Errorf("ceremony: %s holds more than %d roots", dir, verify.DefaultMaxRootSteps)
	}
	var out []*root.Root
	for _, v := range vs {
		rt, _, err := loadRootFile(dir, filepath.Join(dir, fmt.Sprintf("%d.root.json", v)))
		if err != nil {
			return nil, err
		}
		out = append(out, rt)
	}
	return out, nil
}

// maxLabelRunes bounds one name in a diagram.
const maxLabelRunes = 40

// mermaidText makes s safe inside a quoted Mermaid label: letters, digits,
// spaces and a few punctuation marks pass; anything Mermaid or HTML would
// read as markup (quotes, angle brackets, &, #, backticks, line breaks)
// becomes '_'. Long names are cut.
func mermaidText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxLabelRunes {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("@._-+:/()',", r):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}

// chainViews checks every version of the chain (and the staged root) and
// labels its keys once for the whole chain.
func chainViews(roots []*root.Root, staged *root.Root, enrolled map[string]string) []versionView {
	all := roots
	if staged != nil {
		all = append(append([]*root.Root(nil), roots...), staged)
	}
	labels := newKeyLabels(all, enrolled)
	var out []versionView
	for i, rt := range all {
		var prev *root.Root
		if i > 0 && all[i-1].Version() == rt.Version()-1 {
			prev = all[i-1]
		}
		v := viewVersion(rt, prev, labels)
		v.Staged = staged != nil && i == len(all)-1
		out = append(out, v)
	}
	return out
}

// diagramWrap is the width, in pixels, at which Mermaid wraps a line of a
// version's box; lines are broken before that (diagramLineRunes), so the
// box stays narrow whatever the renderer's default.
const (
	diagramWrap      = 400
	diagramLineRunes = 40
)

// writeMermaid draws the chain as Mermaid text (no fences): one box per
// version, top to bottom, listing for each threshold it had to meet who
// signed and who did not (for a staged root: who is still missing), and
// only the chain's arrows between the boxes. A long chain grows downwards,
// never sideways, so it keeps its text size at a page's width.
func writeMermaid(w io.Writer, roots []*root.Root, staged *root.Root, enrolled map[string]string) {
	views := chainViews(roots, staged, enrolled)
	fmt.Fprintf(w, "---\nconfig:\n  flowchart:\n    wrappingWidth: %d\n---\n", diagramWrap)
	fmt.Fprintln(w, "flowchart TB")
	for i, v := range views {
		id := fmt.Sprintf("v%d", v.Version)
		lines := []string{fmt.Sprintf("<b>root v%d</b> · expires %s", v.Version, formatDate(v.Expires))}
		if v.Staged {
			id += "staged"
			lines = []string{fmt.Sprintf("<b>root v%d · staged, being signed</b>", v.Version), "expires " + formatDate(v.Expires)}
		}
		for _, t := range titledThresholds(v) {
			lines = append(lines, thresholdLines(t.thresholdView, t.title, v.Staged)...)
		}
		for _, p := range v.Problems {
			lines = append(lines, "problem: "+mermaidText(p))
		}
		if v.Staged {
			fmt.Fprintf(w, "  %s{{\"%s\"}}\n", id, strings.Join(lines, "<br/>"))
			fmt.Fprintf(w, "  style %s fill:#fff5d6,stroke:#b08800\n", id)
		} else {
			fmt.Fprintf(w, "  %s[\"%s\"]\n", id, strings.Join(lines, "<br/>"))
		}
		if i > 0 && views[i-1].Version == v.Version-1 {
			arrow := "==>"
			if v.Staged {
				arrow = "-.->"
			}
			fmt.Fprintf(w, "  v%d %s %s\n", views[i-1].Version, arrow, id)
		}
	}
}

// thresholdLines lists one threshold: its title and state, then who
// signed, whose signature is invalid, and who did not sign (is missing).
func thresholdLines(t thresholdView, title string, staged bool) []string {
	state := "met"
	if !t.Met {
		state = fmt.Sprintf("needs %d more", t.Needed)
	}
	lines := []string{fmt.Sprintf("<i>%s: %s</i>", title, state)}
	notSigned := "did not sign"
	if staged {
		notSigned = "missing"
	}
	for _, g := range []struct {
		res  signerResult
		word string
	}{{resultSigned, "signed"}, {resultInvalid, "invalid signature"}, {resultMissing, notSigned}} {
		if names := t.names(g.res); len(names) > 0 {
			lines = append(lines, wrapNames(g.word+":", names)...)
		}
	}
	return lines
}

// wrapNames lists names after a heading, breaking lines between names
// (never inside one: its spaces are non-breaking).
func wrapNames(heading string, names []string) []string {
	var lines []string
	cur := heading
	for i, n := range names {
		n = strings.ReplaceAll(mermaidText(n), " ", "\u00a0")
		if i < len(names)-1 {
			n += ","
		}
		if utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(n) > diagramLineRunes && cur != heading {
			lines = append(lines, cur)
			cur = n
			continue
		}
		cur += " " + n
	}
	return append(lines, cur)
}
