package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

func cmdDiagram(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "diagram", "[-C DIR | -chain DIR]")
	dir := repoFlag(f)
	chain := f.String("chain", "", "draw any `directory` of N.root.json files")
	if _, err := parseFlags(f, args); err != nil {
		return err
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
	}
	if len(roots) == 0 && staged == nil {
		return err
	}
	writeMermaid(e.stdout, roots, staged)
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
	if len(vs) > verify.DefaultMaxSteps {
		return nil, fmt.Errorf("ceremony: %s holds more than %d roots", dir, verify.DefaultMaxSteps)
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

// mermaidText makes s safe inside a quoted Mermaid label.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "'", "<", "", ">", "", "\n", " ", "`", "'")
	return r.Replace(s)
}

// writeMermaid draws the chain: one node per root version (threshold,
// expiry), one per keyholder, a solid arrow for each valid signature and a
// dotted line for a root key that did not sign that version.
func writeMermaid(w io.Writer, roots []*root.Root, staged *root.Root) {
	fmt.Fprintln(w, "```mermaid")
	fmt.Fprintln(w, "flowchart LR")
	type holder struct{ id, label string }
	holders := map[string]holder{} // by fingerprint
	var order []string
	addHolder := func(fp, name, serial string) string {
		if h, ok := holders[fp]; ok {
			if name != "" && strings.HasPrefix(h.label, "key ") {
				// A later root names the holder of this key.
				h.label = mermaidText(name)
				holders[fp] = h
			}
			return h.id
		}
		label := mermaidText(name)
		if label == "" {
			label = "key " + shortFP(fp)
		}
		if serial != "" {
			label += "<br/>token " + mermaidText(serial)
		}
		h := holder{id: "k" + fp[:12], label: label}
		holders[fp] = h
		order = append(order, fp)
		return h.id
	}
	var edges []string
	all := roots
	if staged != nil {
		all = append(append([]*root.Root(nil), roots...), staged)
	}
	for i, rt := range all {
		var prev *root.Root
		if i > 0 && all[i-1].Version() == rt.Version()-1 {
			prev = all[i-1]
		}
		isStaged := staged != nil && i == len(all)-1
		keys, thr := repository.RoleKeys(rt, root.RoleRoot)
		distinct := map[string]bool{}
		for _, k := range keys {
			distinct[k.Fingerprint()] = true
		}
		vid := fmt.Sprintf("v%d", rt.Version())
		if isStaged {
			vid += "staged"
			fmt.Fprintf(w, "  %s{{\"root v%d (staged, being signed)<br/>%d of %d keys<br/>expires %s\"}}\n", vid, rt.Version(), thr, len(distinct), formatDate(rt.Expires()))
		} else {
			fmt.Fprintf(w, "  %s[\"root v%d<br/>%d of %d keys<br/>expires %s\"]\n", vid, rt.Version(), thr, len(distinct), formatDate(rt.Expires()))
		}
		if prev != nil {
			arrow := "==>"
			if isStaged {
				arrow = "-.->"
			}
			edges = append(edges, fmt.Sprintf("  v%d %s %s", prev.Version(), arrow, vid))
		}
		st := verify.Status(rt, prev)
		signed := map[string]bool{}
		for _, q := range st.Requirements {
			for _, k := range q.Signed {
				if signed[k.Fingerprint] {
					continue
				}
				signed[k.Fingerprint] = true
				id := addHolder(k.Fingerprint, k.Holder, k.Serial)
				lbl := "signed"
				if !distinct[k.Fingerprint] {
					lbl = "signed as previous key"
				}
				edges = append(edges, fmt.Sprintf("  %s -->|%s| %s", id, lbl, vid))
			}
		}
		fps := make([]string, 0, len(distinct))
		for fp := range distinct {
			fps = append(fps, fp)
		}
		sort.Strings(fps)
		for _, fp := range fps {
			if signed[fp] {
				continue
			}
			var k root.Key
			for _, kk := range keys {
				if kk.Fingerprint() == fp {
					k = kk
				}
			}
			id := addHolder(fp, k.Holder(), k.Serial())
			lbl := "did not sign"
			if isStaged {
				lbl = "not yet signed"
			}
			edges = append(edges, fmt.Sprintf("  %s -.-|%s| %s", id, lbl, vid))
		}
	}
	for _, fp := range order {
		h := holders[fp]
		fmt.Fprintf(w, "  %s([\"%s\"])\n", h.id, h.label)
	}
	for _, e := range edges {
		fmt.Fprintln(w, e)
	}
	fmt.Fprintln(w, "```")
}
