package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// The page is one self-contained HTML file: inline CSS (allowed by its
// hash in the page's Content-Security-Policy), inline SVG, no scripts, no
// fonts, no images, nothing fetched. It works from file:// and from any
// static host such as GitHub Pages.
//
//go:embed page.html.tmpl page.css
var pageFiles embed.FS

var pageTemplate = template.Must(template.New("page.html.tmpl").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).ParseFS(pageFiles, "page.html.tmpl"))

// Warning windows of the expiry timeline: a role is flagged when less than
// a quarter of its expiry period remains. Delegated roles, whose period the
// policy does not set, are flagged 30 days ahead.
const (
	warnFraction        = 4
	delegatedWarnWindow = 30 * 24 * time.Hour
)

func cmdPage(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "page", "-out DIR [-C DIR] [-trusted FILE] [-at RFC3339]")
	dir := repoFlag(f)
	out := f.String("out", "", "write index.html into this `directory` (created if missing)")
	trusted := f.String("trusted", "", "verify the chain from this root `file` (the announced 1.root.json) instead of trusting repository/1.root.json on first use")
	at := f.String("at", "", "reference `time` (RFC 3339) for expiry and warnings; default now")
	pos, err := parseFlags(f, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected argument %q", pos[0])
	}
	if *out == "" {
		return usageErr("-out DIR is required")
	}
	now := e.currentTime()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return usageErr("-at %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", *at)
		}
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	var anchor *trustAnchor
	if *trusted != "" {
		rt, data, err := loadRootFile("", *trusted)
		if err != nil {
			return err
		}
		anchor = &trustAnchor{rt, data, *trusted}
	}
	data, err := buildPage(r, p, anchor, now.UTC())
	if err != nil {
		return err
	}
	html, err := renderPage(data)
	if err != nil {
		return err
	}
	name := filepath.Join(*out, "index.html")
	if err := e.writeFile(name, html); err != nil {
		return err
	}
	e.printf("Wrote %s: %s.\n", filepath.ToSlash(name), data.Summary)
	return nil
}

// pageData is everything the template shows.
type pageData struct {
	Name      string
	Generated string
	Summary   string
	// CSS is the style sheet, inlined; CSP allows exactly it.
	CSS template.CSS
	CSP string

	Latest  int64
	Digest  string
	Trust   pageTrust
	Chain   *chainSVG
	Expiry  *expirySVG
	Roles   []roleExpiry
	Warn    []string
	Targets []targetRow
	Deleg   []delegRow
	Staged  *stagedView
	// Problems lists what could not be read; the rest of the page still
	// shows.
	Problems []string
}

type pageTrust struct {
	OK      bool
	Text    string
	Anchor  string // how the first root was chosen
	Warning []string
}

// trustAnchor is the root a chain is verified from, and its file.
type trustAnchor struct {
	root *root.Root
	data []byte
	file string
}

// buildPage reads the ceremony repository and lays the page out.
func buildPage(r *repo, p *Policy, anchor *trustAnchor, now time.Time) (*pageData, error) {
	d := &pageData{Name: p.Name, Generated: formatTime(now)}
	if d.Name == "" {
		d.Name = filepath.Base(filepath.Clean(r.dir))
	}

	// Names by key content: enrolments first, then every root's
	// annotations, so a key keeps its holder's name in every version.
	names := newKeyNames()
	keys, err := r.loadKeys()
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		names.add(k.Fingerprint, k.Holder, k.Serial)
	}

	vs, err := r.publishedVersions()
	if err != nil {
		return nil, err
	}
	if len(vs) > verify.DefaultMaxRootSteps {
		return nil, fmt.Errorf("ceremony: repository holds %d root versions, more than %d", len(vs), verify.DefaultMaxRootSteps)
	}
	var roots []*root.Root
	var files [][]byte
	for _, v := range vs {
		rt, data, err := loadRootFile(r.dir, r.path(repoDir, fmt.Sprintf("%d.root.json", v)))
		if err != nil {
			return nil, err
		}
		if rt.Version() != v {
			return nil, fmt.Errorf("ceremony: repository/%d.root.json holds version %d", v, rt.Version())
		}
		roots = append(roots, rt)
		files = append(files, data)
		for _, k := range rt.Keys() {
			names.add(k.Fingerprint(), k.Holder(), k.Serial())
		}
	}

	var staged *stagedState
	if _, err := os.Lstat(r.path(stagedRoot)); err == nil {
		staged, err = r.mergeSignatures()
		if err != nil {
			d.Problems = append(d.Problems, strings.TrimPrefix(err.Error(), "ceremony: "))
		} else {
			for _, k := range staged.st.Keys() {
				names.add(k.Fingerprint(), k.Holder(), k.Serial())
			}
		}
	}

	if len(roots) > 0 {
		latest := roots[len(roots)-1]
		d.Latest = latest.Version()
		sum := sha256.Sum256(files[len(files)-1])
		d.Digest = hex.EncodeToString(sum[:])
		d.Trust = chainTrust(r.path(repoDir), roots, files, anchor, now)
	} else {
		d.Trust = pageTrust{Text: "No root is published yet."}
	}
	if len(roots) > 0 || staged != nil {
		var st *root.Root
		if staged != nil {
			st = staged.st
		}
		d.Chain = layoutChain(roots, st, names)
	}

	cur, err := r.loadOnline()
	if err != nil {
		d.Problems = append(d.Problems, strings.TrimPrefix(err.Error(), "ceremony: "))
		cur = nil
	}
	d.Roles = roleExpiries(p, roots, staged, cur, now)
	d.Expiry = layoutExpiry(d.Roles, now)
	for _, re := range d.Roles {
		if re.Warning != "" {
			d.Warn = append(d.Warn, re.Label+": "+re.Warning)
		}
	}
	if cur != nil {
		d.Targets, err = targetRows(cur)
		if err != nil {
			return nil, err
		}
		d.Deleg = delegRows(cur, names, now)
	}
	if staged != nil {
		d.Staged = stagedStatus(staged, names)
	}

	var sum []string
	if d.Latest > 0 {
		sum = append(sum, fmt.Sprintf("root v%d", d.Latest))
	}
	if d.Staged != nil {
		sum = append(sum, fmt.Sprintf("staged v%d %s", d.Staged.Version, d.Staged.State))
	}
	sum = append(sum, fmt.Sprintf("%d target(s), %d delegation(s), %d warning(s)", len(d.Targets), len(d.Deleg), len(d.Warn)))
	d.Summary = strings.Join(sum, ", ")
	return d, nil
}

// chainTrust verifies the published chain with verify.Chain, from the
// anchor or, without one, from the first published root.
func chainTrust(dir string, roots []*root.Root, files [][]byte, anchor *trustAnchor, now time.Time) pageTrust {
	var t pageTrust
	trusted := roots[0]
	next := files[1:]
	if anchor != nil {
		tr := anchor.root
		sum := sha256.Sum256(anchor.data)
		t.Anchor = fmt.Sprintf("Verified from the root you supplied (v%d, SHA-256 %s).", tr.Version(), hex.EncodeToString(sum[:]))
		trusted, next = tr, nil
		for i, rt := range roots {
			if rt.Version() > tr.Version() {
				next = files[i:]
				break
			}
		}
		if roots[0].Version() > tr.Version()+1 {
			t.Text = fmt.Sprintf("Chain not verified: the trusted root is v%d but the repository starts at v%d.", tr.Version(), roots[0].Version())
			return t
		}
		// As verify -trusted: the repository's copy of the trusted
		// version is that very file, and older versions lead to it.
		vs := make([]int64, len(roots))
		for i, rt := range roots {
			vs[i] = rt.Version()
		}
		if err := checkTrustedHistory(dir, vs, tr, anchor.file, anchor.data); err != nil {
			t.Text = "Chain verification FAILED: " + strings.TrimPrefix(err.Error(), "ceremony: ")
			return t
		}
	} else {
		sum := sha256.Sum256(files[0])
		t.Anchor = fmt.Sprintf("Root v%d was trusted on first use: check that its SHA-256, %s, is the one announced at the ceremony.", roots[0].Version(), hex.EncodeToString(sum[:]))
	}
	res, err := verify.Chain(trusted, next, verify.Options{Now: now})
	var xe *verify.ExpiredError
	switch {
	case err == nil:
		t.OK = true
		t.Text = fmt.Sprintf("Root v%d to v%d verified: every version is signed by a threshold of its own root keys and of the previous version's. Root v%d is trusted until %s.",
			trusted.Version(), res.Root.Version(), res.Root.Version(), formatTime(res.Root.Expires()))
		for _, w := range res.Warnings {
			t.Warning = append(t.Warning, fmt.Sprintf("root v%d: %s", w.Version, w.Message))
		}
	case errors.As(err, &xe):
		t.Text = fmt.Sprintf("Signatures of root v%d to v%d verify, but root v%d expired on %s: clients no longer trust it.",
			trusted.Version(), xe.Version, xe.Version, formatTime(xe.Expires))
	default:
		t.Text = "Chain verification FAILED: " + err.Error()
	}
	return t
}

// keyNames labels keys by content (fingerprint), across versions.
type keyNames struct {
	name, serial map[string]string
}

func newKeyNames() *keyNames {
	return &keyNames{name: map[string]string{}, serial: map[string]string{}}
}

func (n *keyNames) add(fp, holder, serial string) {
	if holder != "" {
		n.name[fp] = holder
	}
	if serial != "" {
		n.serial[fp] = serial
	}
}

// label is the holder's name, or the key's fingerprint marked as one.
func (n *keyNames) label(fp string) (string, bool) {
	if h := n.name[fp]; h != "" {
		return h, true
	}
	return "key " + shortFP(fp) + "…", false
}

// Chain drawing: one column per version, one row per key (by content).

type chainSVG struct {
	Width, Height int
	Columns       []chainColumn
	Arrows        []svgLine
	Rows          []chainRow
	Lifelines     []svgLine
	Cells         []chainCell
	LegendY       int
	Legend        []chainCell
}

type chainColumn struct {
	X, Y, W, H   int
	CX           int
	Title, Line2 string
	Line3        string
	Staged       bool
	Tip          string
}

type chainRow struct {
	Y, TextY  int
	Label     string
	Sub       string
	Named     bool
	Tip       string
	Separator bool
}

type chainCell struct {
	X, Y  int
	Kind  string // signed, previous, missing, pending, invalid
	Tip   string
	Label string // legend only
	LX    int    // legend only: text position
}

type svgLine struct{ X1, Y1, X2, Y2 int }

const (
	chainLabelW = 200
	chainColW   = 140
	chainHeadH  = 66
	chainRowH   = 38
	chainTop    = 12
)

func layoutChain(roots []*root.Root, staged *root.Root, names *keyNames) *chainSVG {
	all := append([]*root.Root(nil), roots...)
	if staged != nil {
		all = append(all, staged)
	}
	c := &chainSVG{}
	type keyRow struct {
		fp    string
		first int
	}
	var rows []keyRow
	rowOf := map[string]int{}
	addRow := func(fp string, col int) {
		if _, ok := rowOf[fp]; !ok {
			rowOf[fp] = len(rows)
			rows = append(rows, keyRow{fp, col})
		}
	}
	type colState struct {
		member, signed, previous map[string]bool
		invalid                  map[string]string
	}
	states := make([]colState, len(all))
	for i, rt := range all {
		var prev *root.Root
		if i > 0 && all[i-1].Version() == rt.Version()-1 {
			prev = all[i-1]
		}
		st := rt.SigningStatus(prev)
		cs := colState{member: map[string]bool{}, signed: map[string]bool{}, previous: map[string]bool{}, invalid: map[string]string{}}
		if n := len(st.Requirements); n > 0 {
			own := st.Requirements[n-1]
			for _, group := range [][]root.KeyStatus{own.Signed, own.Invalid, own.Missing} {
				for _, k := range group {
					cs.member[k.Fingerprint] = true
					addRow(k.Fingerprint, i)
				}
			}
		}
		for _, q := range st.Requirements {
			for _, k := range q.Signed {
				addRow(k.Fingerprint, i)
				if cs.member[k.Fingerprint] {
					cs.signed[k.Fingerprint] = true
				} else {
					cs.previous[k.Fingerprint] = true
				}
			}
			for _, k := range q.Invalid {
				addRow(k.Fingerprint, i)
				cs.invalid[k.Fingerprint] = k.Reason
			}
		}
		states[i] = cs

		cx := chainLabelW + i*chainColW + chainColW/2
		rk, _ := rt.Role(root.RoleRoot)
		rkeys, thr := rk.Keys, rk.Threshold
		distinct := map[string]bool{}
		for _, k := range rkeys {
			distinct[k.Fingerprint()] = true
		}
		col := chainColumn{X: cx - chainColW/2 + 10, Y: chainTop, W: chainColW - 20, H: chainHeadH, CX: cx,
			Title: fmt.Sprintf("root v%d", rt.Version()),
			Line2: fmt.Sprintf("%d of %d keys", thr, len(distinct)),
			Line3: "expires " + formatDate(rt.Expires()),
		}
		col.Tip = fmt.Sprintf("root v%d: %d of %d root keys must sign; expires %s", rt.Version(), thr, len(distinct), formatTime(rt.Expires()))
		if staged != nil && i == len(all)-1 {
			col.Staged = true
			col.Line3 = "staged, being signed"
			col.Tip += "; staged, being signed"
		}
		c.Columns = append(c.Columns, col)
		if prev != nil {
			c.Arrows = append(c.Arrows, svgLine{X1: cx - chainColW/2 - 8, Y1: chainTop + chainHeadH/2, X2: cx - chainColW/2 + 8, Y2: chainTop + chainHeadH/2})
		}
	}
	rowsTop := chainTop + chainHeadH + 18
	for ri, kr := range rows {
		y := rowsTop + ri*chainRowH + chainRowH/2
		label, named := names.label(kr.fp)
		row := chainRow{Y: y, TextY: y - 2, Label: label, Named: named, Tip: "SHA-256 fingerprint of the public key: " + kr.fp}
		if s := names.serial[kr.fp]; s != "" {
			row.Sub = "token " + s
		} else if named {
			row.Sub = "key " + shortFP(kr.fp) + "…"
		}
		if !named {
			row.TextY = y + 4
		}
		c.Rows = append(c.Rows, row)
		for i := range all {
			cx := chainLabelW + i*chainColW + chainColW/2
			cs := states[i]
			if i > 0 && cs.member[kr.fp] && states[i-1].member[kr.fp] {
				c.Lifelines = append(c.Lifelines, svgLine{X1: cx - chainColW + 11, Y1: y, X2: cx - 11, Y2: y})
			}
			v := all[i].Version()
			isStaged := staged != nil && i == len(all)-1
			cell := chainCell{X: cx, Y: y}
			switch {
			case cs.invalid[kr.fp] != "" && !cs.signed[kr.fp] && !cs.previous[kr.fp]:
				cell.Kind = "invalid"
				cell.Tip = fmt.Sprintf("%s: invalid signature on root v%d: %s", label, v, cs.invalid[kr.fp])
			case cs.signed[kr.fp]:
				cell.Kind = "signed"
				cell.Tip = fmt.Sprintf("%s signed root v%d", label, v)
			case cs.previous[kr.fp]:
				cell.Kind = "previous"
				cell.Tip = fmt.Sprintf("%s signed root v%d as a key of root v%d", label, v, v-1)
			case cs.member[kr.fp] && isStaged:
				cell.Kind = "pending"
				cell.Tip = fmt.Sprintf("%s has not signed root v%d yet", label, v)
			case cs.member[kr.fp]:
				cell.Kind = "missing"
				cell.Tip = fmt.Sprintf("%s holds a root key of v%d but did not sign it", label, v)
			default:
				continue
			}
			c.Cells = append(c.Cells, cell)
		}
	}
	c.LegendY = rowsTop + len(rows)*chainRowH + 22
	legend := []struct{ kind, text string }{
		{"signed", "signed"},
		{"previous", "signed as a key of the previous version"},
		{"missing", "root key, did not sign"},
		{"pending", "not yet signed (staged)"},
		{"invalid", "invalid signature"},
	}
	x := 20
	for _, l := range legend {
		c.Legend = append(c.Legend, chainCell{X: x + 9, Y: c.LegendY, Kind: l.kind, Label: l.text, LX: x + 24})
		x += 36 + 6*len(l.text)
	}
	c.Width = max(chainLabelW+len(all)*chainColW+20, x)
	c.Height = c.LegendY + 22
	return c
}

// Expiry of every role, on a timeline.

type roleExpiry struct {
	Label   string
	Version int64
	Expires string
	Left    string
	Period  string
	Status  string // ok, warn, expired, info
	Warning string
	expires time.Time
	window  time.Duration
}

func humanDuration(d time.Duration) string {
	return days(d)
}

func newRoleExpiry(label string, version int64, expires time.Time, period, window time.Duration, now time.Time, action string) roleExpiry {
	re := roleExpiry{Label: label, Version: version, Expires: formatTime(expires), expires: expires, window: window, Status: "ok"}
	if period > 0 {
		re.Period = fmt.Sprintf("%d days", int(period.Hours()/24))
	}
	left := expires.Sub(now)
	switch {
	case left <= 0:
		re.Status = "expired"
		re.Left = "expired " + humanDuration(-left) + " ago"
		re.Warning = "expired " + humanDuration(-left) + " ago; clients refuse it. " + action
	case left < window:
		re.Status = "warn"
		re.Left = "in " + humanDuration(left)
		re.Warning = "expires in " + humanDuration(left) + ". " + action
	default:
		re.Left = "in " + humanDuration(left)
	}
	return re
}

func roleExpiries(p *Policy, roots []*root.Root, staged *stagedState, cur *online, now time.Time) []roleExpiry {
	var out []roleExpiry
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	if len(roots) > 0 {
		rt := roots[len(roots)-1]
		period := days(p.Root.ExpiresDays)
		action := fmt.Sprintf("Stage root v%d and gather signatures.", rt.Version()+1)
		if staged != nil {
			action = fmt.Sprintf("Root v%d is staged: gather its signatures and publish it.", staged.st.Version())
		}
		out = append(out, newRoleExpiry(fmt.Sprintf("root v%d", rt.Version()), rt.Version(), rt.Expires(), period, period/warnFraction, now, action))
	}
	if cur != nil {
		for _, role := range []struct {
			name    string
			version int64
			expires time.Time
		}{
			{"targets", cur.targets.Version(), cur.targets.Expires()},
			{"snapshot", cur.snapshot.Version(), cur.snapshot.Expires()},
			{"timestamp", cur.timestamp.Version(), cur.timestamp.Expires()},
		} {
			period := days(p.Online[role.name].ExpiresDays)
			out = append(out, newRoleExpiry(role.name, role.version, role.expires, period, period/warnFraction, now, "Re-sign it with the online key (ceremony refresh, or any publish)."))
		}
		names := make([]string, 0, len(cur.delegated))
		for n := range cur.delegated {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			md := cur.delegated[n]
			out = append(out, newRoleExpiry(n+" (delegated)", md.Version(), md.Expires(), 0, delegatedWarnWindow, now, "Its keyholders must sign a new version (ceremony delegation sign, publish)."))
		}
	}
	return out
}

type expirySVG struct {
	Width, Height int
	NowX          int
	NowLabel      string
	AxisY         int
	Ticks         []svgTick
	Bars          []expiryBar
}

type svgTick struct {
	X     int
	Label string
}

type expiryBar struct {
	Y, TextY      int
	Label         string
	X, W          int
	WarnX, WarnW  int
	Status        string
	Text, TextPos string
	TextX         int
	Tip           string
}

const (
	expLabelW = 170
	expAxisW  = 560
	expRowH   = 30
	expTop    = 30
	expMax    = 2 * 365 * 24 * time.Hour
)

func layoutExpiry(roles []roleExpiry, now time.Time) *expirySVG {
	if len(roles) == 0 {
		return nil
	}
	span := 30 * 24 * time.Hour
	for _, re := range roles {
		if d := re.expires.Sub(now); d > span {
			span = d
		}
	}
	if span > expMax {
		span = expMax
	}
	x := func(t time.Time) int {
		d := t.Sub(now)
		switch {
		case d < 0:
			d = 0
		case d > span:
			d = span
		}
		return expLabelW + int(float64(expAxisW)*float64(d)/float64(span))
	}
	s := &expirySVG{NowX: expLabelW, NowLabel: "now " + formatDate(now), Width: expLabelW + expAxisW + 250}
	step := 24 * time.Hour
	for _, st := range []time.Duration{7, 30, 91, 182, 365} {
		if span/(step) <= 8 {
			break
		}
		step = st * 24 * time.Hour
	}
	for t := now.Add(step); !t.After(now.Add(span)); t = t.Add(step) {
		s.Ticks = append(s.Ticks, svgTick{X: x(t), Label: formatDate(t)})
	}
	for i, re := range roles {
		y := expTop + i*expRowH
		b := expiryBar{Y: y + 7, TextY: y + 19, Label: re.Label, X: expLabelW, Status: re.Status}
		end := x(re.expires)
		b.W = max(end-expLabelW, 3)
		if re.window > 0 && re.Status != "expired" {
			ws := x(re.expires.Add(-re.window))
			b.WarnX, b.WarnW = ws, max(end-ws, 2)
		}
		b.TextX = expLabelW + b.W + 8
		b.Text = formatDate(re.expires) + " (" + re.Left + ")"
		if re.expires.Sub(now) > span {
			b.Text = "→ " + b.Text
		}
		b.Tip = fmt.Sprintf("%s v%d expires %s", re.Label, re.Version, re.Expires)
		s.Bars = append(s.Bars, b)
	}
	s.AxisY = expTop + len(roles)*expRowH + 4
	s.Height = s.AxisY + 34
	return s
}

// Targets and delegations.

type targetRow struct {
	Role   string
	Name   string
	Length int64
	SHA256 string
	Short  string
	Href   string
	Custom string
}

func targetRows(cur *online) ([]targetRow, error) {
	var out []targetRow
	for _, tf := range cur.allTargets() {
		row := targetRow{Role: string(tf.Role), Name: tf.Name, Length: tf.Length}
		if h, ok := tf.Hashes["sha256"]; ok {
			row.SHA256 = h
			row.Short = shortFP(row.SHA256) + "…"
		}
		if p, err := targetPath(tf); err == nil {
			row.Href = p
		}
		if len(tf.Custom) > 0 {
			var b bytes.Buffer
			if err := json.Indent(&b, tf.Custom, "", "  "); err != nil {
				return nil, fmt.Errorf("ceremony: custom metadata of target %s: %w", tf.Name, err)
			}
			row.Custom = b.String()
		}
		out = append(out, row)
	}
	return out, nil
}

type delegRow struct {
	Name        string
	Paths       string
	Threshold   int
	Keys        []string
	Terminating bool
	Published   string
}

func delegRows(cur *online, names *keyNames, now time.Time) []delegRow {
	var out []delegRow
	for _, dr := range cur.targets.Delegations() {
		row := delegRow{Name: string(dr.Name), Threshold: dr.Threshold, Terminating: dr.Terminating}
		paths := append([]string(nil), dr.Paths...)
		for _, pre := range dr.PathHashPrefixes {
			paths = append(paths, "hash prefix "+pre)
		}
		row.Paths = strings.Join(paths, ", ")
		keys := append([]root.Key(nil), dr.Keys...)
		sort.Slice(keys, func(i, j int) bool { return keys[i].ID() < keys[j].ID() })
		for _, k := range keys {
			label := "key ID " + shortFP(string(k.ID())) + "…"
			if h, named := names.label(k.Fingerprint()); named {
				label = h + " (" + label + ")"
			}
			row.Keys = append(row.Keys, label)
		}
		if md, ok := cur.delegated[string(dr.Name)]; ok {
			row.Published = fmt.Sprintf("v%d, %d target(s), expires %s", md.Version(), len(md.Targets()), formatDate(md.Expires()))
			if !md.Expires().After(now) {
				row.Published += " (expired)"
			}
		} else {
			row.Published = "not published yet"
		}
		out = append(out, row)
	}
	return out
}

// The staged root's signing status.

type stagedView struct {
	Version      int64
	Expires      string
	Ready        bool
	State        string
	Requirements []stagedReq
	Problems     []string
	Invalid      []string
	Stale        []string
	Todo         string
}

type stagedReq struct {
	Name      string
	Threshold int
	Count     string
	Needed    int
	Signed    []string
	Missing   []string
	Invalid   []string
}

func stagedStatus(s *stagedState, names *keyNames) *stagedView {
	st := s.st.SigningStatus(s.prev)
	v := &stagedView{Version: s.st.Version(), Expires: formatTime(s.st.Expires()), Ready: st.Complete && len(s.bad) == 0,
		Problems: st.Problems, Invalid: s.bad, Stale: s.stale}
	label := func(k root.KeyStatus) string {
		if k.Holder != "" {
			return k.Holder
		}
		l, _ := names.label(k.Fingerprint)
		return l
	}
	var todo []string
	for _, q := range st.Requirements {
		r := stagedReq{Name: q.Name, Threshold: q.Threshold, Needed: q.Needed,
			Count: fmt.Sprintf("%d of %d signed, threshold %d", len(q.Signed), len(q.Signed)+len(q.Missing)+len(q.Invalid), q.Threshold)}
		for _, k := range q.Signed {
			r.Signed = append(r.Signed, label(k))
		}
		for _, k := range q.Missing {
			r.Missing = append(r.Missing, label(k))
		}
		for _, k := range q.Invalid {
			r.Invalid = append(r.Invalid, label(k)+": "+k.Reason)
		}
		if q.Needed > 0 {
			todo = append(todo, fmt.Sprintf("%s needs %d more %s", q.Name, q.Needed, plural(q.Needed, "signature", "signatures")))
		}
		v.Requirements = append(v.Requirements, r)
	}
	if len(s.bad) > 0 {
		todo = append(todo, "the invalid signature files must be fixed or removed")
	}
	if v.Ready {
		v.State = "ready to publish"
	} else {
		v.State = "not ready to publish"
		if len(todo) > 0 {
			v.Todo = strings.Join(todo, "; ") + "."
		}
	}
	return v
}

// renderPage runs the template with the style sheet inlined and allowed
// by its hash.
func renderPage(d *pageData) ([]byte, error) {
	css, err := pageFiles.ReadFile("page.css")
	if err != nil {
		return nil, fmt.Errorf("ceremony: page style sheet: %w", err)
	}
	sum := sha256.Sum256(css)
	d.CSS = template.CSS(css)
	d.CSP = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; base-uri 'none'; form-action 'none'"
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("ceremony: rendering the page: %w", err)
	}
	return b.Bytes(), nil
}
