package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
)

// stagedState is the staged root with every usable signature file merged
// in, and what was wrong with the others.
type stagedState struct {
	st, prev *root.Root
	// stale lists signature files over another staged root; ignored.
	stale []string
	// bad lists signature files that do not verify; publish refuses them.
	bad []string
}

// mergeSignatures loads the staged root and adds every signature file to
// it. Files over another staging are stale; files that fail to verify are
// bad (tampered, or made with another key).
func (r *repo) mergeSignatures() (*stagedState, error) {
	st, prev, err := r.staged()
	if err != nil {
		return nil, err
	}
	sigs, err := r.loadSignatures()
	if err != nil {
		return nil, err
	}
	keys, err := r.loadKeys()
	if err != nil {
		return nil, err
	}
	enrolledFP := map[string]string{} // holder -> fingerprint
	for _, k := range keys {
		enrolledFP[k.Holder] = k.Fingerprint
	}
	sum := sha256.Sum256(st.SigningPayload())
	digest := hex.EncodeToString(sum[:])
	s := &stagedState{st: st, prev: prev}
	for _, se := range sigs {
		if se.f.RootVersion != st.Version() || se.f.PayloadSHA256 != digest {
			s.stale = append(s.stale, fmt.Sprintf("%s: signs another staging of root v%d (payload %s), not the staged root; ignored", se.rel, se.f.RootVersion, shortFP(se.f.PayloadSHA256)))
			continue
		}
		k, ok := st.Key(se.sig.KeyID)
		if !ok && prev != nil {
			k, ok = prev.Key(se.sig.KeyID)
		}
		if !ok {
			s.bad = append(s.bad, fmt.Sprintf("%s: key ID %s is not a key of staged v%d%s", se.rel, shortFP(string(se.sig.KeyID)), st.Version(), prevNote(prev)))
			continue
		}
		// The file names its signer: the key must be that holder's,
		// by annotation or by the holder's enrolled key.
		if k.Holder() != se.f.Holder && enrolledFP[se.f.Holder] != k.Fingerprint() {
			s.bad = append(s.bad, fmt.Sprintf("%s: says it is from %s, but key ID %s belongs to %s", se.rel, se.f.Holder, shortFP(string(se.sig.KeyID)), k.Holder()))
			continue
		}
		if err := st.AddSignature(se.sig, prev); err != nil {
			s.bad = append(s.bad, fmt.Sprintf("%s: signature by %s does not verify (the file was altered, or signed something else): %v", se.rel, se.f.Holder, err))
			continue
		}
	}
	return s, nil
}

func cmdStatus(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "status", "[-C DIR] [-format text|markdown|json]")
	dir := repoFlag(f)
	format := f.String("format", "text", "output format: text, markdown (for a pull-request comment) or json")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	switch *format {
	case "text", "markdown", "json":
	default:
		return usageErr("-format %q: want text, markdown or json", *format)
	}
	r := openRepo(e, *dir)
	if _, err := r.loadPolicy(); err != nil {
		return err
	}
	s, err := r.mergeSignatures()
	if err != nil {
		return err
	}
	status := s.st.SigningStatus(s.prev)
	switch *format {
	case "json":
		out := struct {
			*root.SigningStatus
			// PayloadSHA256 is the SHA-256 of what every keyholder
			// signs, for attendees to compare.
			PayloadSHA256 string    `json:"payload_sha256"`
			Expires       time.Time `json:"expires"`
			StaleFiles    []string  `json:"stale_files,omitempty"`
			InvalidFiles  []string  `json:"invalid_files,omitempty"`
		}{status, payloadDigest(s.st), s.st.Expires().UTC(), s.stale, s.bad}
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		e.printf("%s\n", data)
	case "markdown":
		writeStatusMarkdown(e.stdout, s, status)
	default:
		writeStatusText(e.stdout, s, status)
	}
	return nil
}

// holderOf names a key by its keyholder, or else by the TUF key ID that
// root.json lists it under (as the diagram and verify do).
func holderOf(k root.KeyStatus) string {
	if k.Holder != "" {
		return k.Holder
	}
	if len(k.KeyIDs) > 0 {
		return "key ID " + prefix(string(k.KeyIDs[0]), shortIDLen)
	}
	return fingerprintLabel(k.Fingerprint)
}

func holders(ks []root.KeyStatus) string {
	if len(ks) == 0 {
		return "nobody"
	}
	var names []string
	for _, k := range ks {
		names = append(names, holderOf(k))
	}
	return strings.Join(names, ", ")
}

func writeStatusText(w io.Writer, s *stagedState, st *root.SigningStatus) {
	fmt.Fprintf(w, "Staged root v%d, expires %s.\n", s.st.Version(), formatTime(s.st.Expires()))
	fmt.Fprintf(w, "Signing payload SHA-256: %s\n", payloadDigest(s.st))
	for _, q := range st.Requirements {
		state := "met"
		if q.Needed > 0 {
			state = fmt.Sprintf("needs %d more", q.Needed)
		}
		fmt.Fprintf(w, "  %s: %d of %d signed, threshold %d (%s)\n", q.Name, len(q.Signed), len(q.Signed)+len(q.Missing)+len(q.Invalid), q.Threshold, state)
		fmt.Fprintf(w, "    signed:  %s\n", holders(q.Signed))
		fmt.Fprintf(w, "    missing: %s\n", holders(q.Missing))
		for _, k := range q.Invalid {
			fmt.Fprintf(w, "    invalid: %s: %s\n", holderOf(k), k.Reason)
		}
	}
	for _, p := range st.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	for _, b := range s.bad {
		fmt.Fprintf(w, "  INVALID %s\n", b)
	}
	for _, b := range s.stale {
		fmt.Fprintf(w, "  stale %s\n", b)
	}
	if st.Complete && len(s.bad) == 0 {
		fmt.Fprintf(w, "Ready to publish.\n")
	} else {
		fmt.Fprintf(w, "Not ready to publish.\n")
	}
}

func writeStatusMarkdown(w io.Writer, s *stagedState, st *root.SigningStatus) {
	mark := "⏳"
	if st.Complete && len(s.bad) == 0 {
		mark = "✅"
	}
	fmt.Fprintf(w, "### %s Root v%d signing status\n\n", mark, s.st.Version())
	fmt.Fprintf(w, "Expires %s. Signing payload SHA-256: `%s`\n\n", formatTime(s.st.Expires()), payloadDigest(s.st))
	fmt.Fprintf(w, "| threshold | keyholder | status |\n|---|---|---|\n")
	for _, q := range st.Requirements {
		// "needed" means, as in the JSON form, how many more signatures
		// the threshold needs.
		name := fmt.Sprintf("%s (%d of %d", q.Name, q.Threshold, len(q.Signed)+len(q.Invalid)+len(q.Missing))
		if q.Needed > 0 {
			name += fmt.Sprintf(", %d more needed", q.Needed)
		} else {
			name += ", met"
		}
		name += ")"
		for _, k := range q.Signed {
			fmt.Fprintf(w, "| %s | %s | ✅ signed |\n", name, holderOf(k))
		}
		for _, k := range q.Invalid {
			fmt.Fprintf(w, "| %s | %s | ❌ invalid: %s |\n", name, holderOf(k), strings.ReplaceAll(k.Reason, "|", "/"))
		}
		for _, k := range q.Missing {
			fmt.Fprintf(w, "| %s | %s | ⏳ missing |\n", name, holderOf(k))
		}
	}
	if len(s.bad)+len(s.stale)+len(st.Problems) > 0 {
		fmt.Fprintf(w, "\n**Problems**\n\n")
		for _, p := range st.Problems {
			fmt.Fprintf(w, "- %s\n", p)
		}
		for _, b := range s.bad {
			fmt.Fprintf(w, "- invalid: `%s`\n", b)
		}
		for _, b := range s.stale {
			fmt.Fprintf(w, "- stale: `%s`\n", b)
		}
	}
	if st.Complete && len(s.bad) == 0 {
		fmt.Fprintf(w, "\nAll thresholds are met: ready to publish.\n")
		return
	}
	var todo []string
	for _, q := range st.Requirements {
		if q.Needed > 0 {
			todo = append(todo, fmt.Sprintf("%s needs %d more %s", q.Name, q.Needed, plural(q.Needed, "signature", "signatures")))
		}
	}
	if len(s.bad) > 0 {
		todo = append(todo, "the invalid signature files must be fixed or removed")
	}
	if len(todo) == 0 {
		todo = append(todo, "see the problems above")
	}
	fmt.Fprintf(w, "\nNot ready to publish: %s.\n", strings.Join(todo, "; "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
