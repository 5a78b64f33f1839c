package main

// The GitHub workflows in workflows/ keep their logic in small scripts;
// these tests run the scripts against ceremony repositories made by the
// tool, with this test binary on PATH as ceremony and as a fake gh that
// keeps comments and issues in a file and records every call.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// asToolEnv makes this test binary act as the program it is named
	// after: ceremony (the tool) or gh (the fake).
	asToolEnv = "CEREMONY_TEST_AS_TOOL"
	fakeGHEnv = "FAKE_GH_DIR"
	botLogin  = "github-actions[bot]"
	marker    = "<!-- trustroot-ceremony-status -->"
)

// pendingCommands are commands the workflows call that the tool does not
// have yet; their scripts are written and wait for a test.
var pendingCommands = []string{}

func asTool() (int, bool) {
	if os.Getenv(asToolEnv) != "1" {
		return 0, false
	}
	switch filepath.Base(os.Args[0]) {
	case "ceremony":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return run(ctx, osEnv(), os.Args[1:]), true
	case "gh":
		return fakeGH(os.Getenv(fakeGHEnv), os.Args[1:], os.Stdout, os.Stderr), true
	}
	return 0, false
}

// ghState is the fake GitHub: comments by issue number, issues.
type ghState struct {
	Next     int                         `json:"next"`
	Comments map[string][]map[string]any `json:"comments"`
	Issues   []map[string]any            `json:"issues"`
	Runs     []string                    `json:"runs"`
}

func loadGH(dir string) (*ghState, error) {
	st := &ghState{Next: 1000, Comments: map[string][]map[string]any{}}
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	return st, json.Unmarshal(data, st)
}

func (st *ghState) save(dir string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "state.json"), data, 0o644)
}

// fakeGH implements what the scripts use of gh: "api" with -X, -f, -F
// (including @file and key[]), --paginate and --jq (through the jq
// program), and "workflow run". Every call is appended to calls.log.
func fakeGH(dir string, args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "fake gh: "+format+"\n", a...)
		return 1
	}
	if dir == "" {
		return fail("%s is not set", fakeGHEnv)
	}
	if f, err := os.OpenFile(filepath.Join(dir, "calls.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	st, err := loadGH(dir)
	if err != nil {
		return fail("state: %v", err)
	}
	login := os.Getenv("FAKE_GH_LOGIN")
	if login == "" {
		login = botLogin
	}
	if len(args) >= 3 && args[0] == "workflow" && args[1] == "run" {
		st.Runs = append(st.Runs, strings.Join(args[2:], " "))
		if err := st.save(dir); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	if len(args) == 0 || args[0] != "api" {
		return fail("unsupported command %q", args)
	}
	method, endpoint, jq := "", "", ""
	fields := map[string]any{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() string {
			i++
			if i >= len(args) {
				return ""
			}
			return args[i]
		}
		switch a {
		case "-X", "--method":
			method = next()
		case "--jq", "-q":
			jq = next()
		case "--paginate":
		case "-f", "--raw-field", "-F", "--field":
			k, v, ok := strings.Cut(next(), "=")
			if !ok {
				return fail("field without '=': %q", args[i])
			}
			var val any = v
			if a == "-F" || a == "--field" {
				switch {
				case strings.HasPrefix(v, "@"):
					b, err := os.ReadFile(v[1:])
					if err != nil {
						return fail("%v", err)
					}
					val = string(b)
				case v == "true" || v == "false":
					val = v == "true"
				default:
					if n, err := strconv.Atoi(v); err == nil {
						val = n
					}
				}
			}
			if name, ok := strings.CutSuffix(k, "[]"); ok {
				list, _ := fields[name].([]any)
				fields[name] = append(list, val)
			} else {
				fields[k] = val
			}
		default:
			if strings.HasPrefix(a, "-") || endpoint != "" {
				return fail("unsupported argument %q", a)
			}
			endpoint = a
		}
	}
	if method == "" {
		method = "GET"
		if len(fields) > 0 {
			method = "POST"
		}
	}
	path, rawQuery, _ := strings.Cut(endpoint, "?")
	query, _ := url.ParseQuery(rawQuery)
	parts := strings.Split(path, "/")
	if len(parts) < 4 || parts[0] != "repos" || parts[3] != "issues" {
		return fail("unsupported endpoint %s", endpoint)
	}
	user := map[string]any{"login": login, "type": "Bot"}
	var resp any
	switch {
	case method == "GET" && len(parts) == 6 && parts[5] == "comments":
		cs := st.Comments[parts[4]]
		if cs == nil {
			cs = []map[string]any{}
		}
		resp = cs
	case method == "POST" && len(parts) == 6 && parts[5] == "comments":
		st.Next++
		c := map[string]any{"id": st.Next, "body": fields["body"], "user": user}
		st.Comments[parts[4]] = append(st.Comments[parts[4]], c)
		resp = c
	case method == "PATCH" && len(parts) == 6 && parts[4] == "comments":
		id, _ := strconv.Atoi(parts[5])
		for _, cs := range st.Comments {
			for _, c := range cs {
				if int(c["id"].(float64)) != id {
					continue
				}
				if c["user"].(map[string]any)["login"] != login {
					return fail("HTTP 403: %s may not edit comment %d", login, id)
				}
				c["body"] = fields["body"]
				resp = c
			}
		}
		if resp == nil {
			return fail("HTTP 404: no comment %d", id)
		}
	case method == "GET" && len(parts) == 4:
		list := []any{}
		for _, is := range st.Issues {
			if s := query.Get("state"); s != "" && s != "all" && is["state"] != s {
				continue
			}
			if l := query.Get("labels"); l != "" && !slices.ContainsFunc(is["labels"].([]any), func(x any) bool { return x.(map[string]any)["name"] == l }) {
				continue
			}
			list = append(list, is)
		}
		resp = list
	case method == "POST" && len(parts) == 4:
		st.Next++
		var labels []any
		for _, l := range asList(fields["labels"]) {
			labels = append(labels, map[string]any{"name": l})
		}
		is := map[string]any{"number": st.Next, "title": fields["title"], "body": fields["body"], "state": "open", "labels": labels, "user": user}
		st.Issues = append(st.Issues, is)
		resp = is
	case method == "PATCH" && len(parts) == 5:
		n, _ := strconv.Atoi(parts[4])
		for _, is := range st.Issues {
			if int(is["number"].(float64)) == n {
				for k, v := range fields {
					is[k] = v
				}
				resp = is
			}
		}
		if resp == nil {
			return fail("HTTP 404: no issue %d", n)
		}
	default:
		return fail("unsupported %s %s", method, endpoint)
	}
	if err := st.save(dir); err != nil {
		return fail("%v", err)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return fail("%v", err)
	}
	if jq == "" {
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	cmd := exec.Command("jq", "-r", jq)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(out), stdout, stderr
	if err := cmd.Run(); err != nil {
		return fail("jq %q: %v", jq, err)
	}
	return 0
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// workflows is what a workflow test needs: the scripts, a PATH with
// ceremony and gh, and the fake gh's directory.
type workflows struct {
	t      *testing.T
	dir    string // workflows/
	bin    string
	gh     string
	output string // GITHUB_OUTPUT and GITHUB_STEP_SUMMARY live here
}

func newWorkflows(t *testing.T) *workflows {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the fake gh needs jq (Debian: apt-get install jq; scripts/install-deps.sh does): %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := &workflows{t: t, bin: t.TempDir(), gh: t.TempDir(), output: t.TempDir()}
	if w.dir, err = filepath.Abs("workflows"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ceremony", "gh"} {
		if err := os.Symlink(self, filepath.Join(w.bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// run runs a script as a workflow step does, in dir, with env on top of a
// clean environment (no GITHUB_* or GH_* from a CI runner).
func (w *workflows) run(script, dir string, env ...string) result {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(w.dir, script))
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "GH_") || k == "PATH" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "PATH="+w.bin+string(os.PathListSeparator)+os.Getenv("PATH"), asToolEnv+"=1", fakeGHEnv+"="+w.gh,
		"GITHUB_STEP_SUMMARY="+filepath.Join(w.output, "summary.md"), "GITHUB_OUTPUT="+filepath.Join(w.output, "output"))
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		code = xe.ExitCode()
	} else if err != nil {
		w.t.Fatalf("%s: %v", script, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (w *workflows) state() *ghState {
	w.t.Helper()
	st, err := loadGH(w.gh)
	if err != nil {
		w.t.Fatal(err)
	}
	return st
}

func (w *workflows) calls() []string {
	data, err := os.ReadFile(filepath.Join(w.gh, "calls.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func (w *workflows) summary() string {
	data, _ := os.ReadFile(filepath.Join(w.output, "summary.md"))
	return string(data)
}

func TestWorkflowFiles(t *testing.T) {
	ymls, _ := filepath.Glob("workflows/*.yml")
	scripts, _ := filepath.Glob("workflows/*.sh")
	if len(ymls) < 4 || len(scripts) < 5 {
		t.Fatalf("workflows/: %d workflows and %d scripts", len(ymls), len(scripts))
	}
	ref := regexp.MustCompile(`run: \.github/ceremony/([a-z-]+\.sh)`)
	used := map[string]bool{}
	for _, y := range ymls {
		data := string(readFile(t, y))
		for _, m := range ref.FindAllStringSubmatch(data, -1) {
			used[m[1]] = true
			if _, err := os.Stat(filepath.Join("workflows", m[1])); err != nil {
				t.Errorf("%s runs %s, which is not in workflows/", y, m[1])
			}
		}
		if !strings.Contains(data, "\npermissions:\n  contents: read\n") {
			t.Errorf("%s does not start from read-only permissions", y)
		}
		if strings.Contains(data, "secrets.") {
			t.Errorf("%s uses a stored secret; credentials come through OIDC", y)
		}
	}
	for _, s := range scripts {
		if !used[filepath.Base(s)] {
			t.Errorf("no workflow runs %s", s)
		}
		fi, err := os.Stat(s)
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable (%v)", s, err)
		}
		data := string(readFile(t, s))
		if !strings.HasPrefix(data, "#!/usr/bin/env bash\n") || !strings.Contains(data, "\nset -euo pipefail\n") {
			t.Errorf("%s does not start with the bash shebang and set -euo pipefail", s)
		}
		// Every command the scripts run exists, or is pending and named.
		for _, m := range regexp.MustCompile(`(?m)^\s*(?:out=\$\()?ceremony ([a-z]+)`).FindAllStringSubmatch(data, -1) {
			known := slices.ContainsFunc(commands(), func(c command) bool { return c.name == m[1] })
			pending := slices.Contains(pendingCommands, m[1])
			switch {
			case known && pending:
				t.Errorf("ceremony %s exists now: test %s against it and drop it from pendingCommands", m[1], s)
			case !known && !pending:
				t.Errorf("%s runs ceremony %s, which does not exist", s, m[1])
			}
		}
	}
	online := string(readFile(t, "workflows/ceremony-online.yml"))
	for _, want := range []string{"id-token: write", "google-github-actions/auth@", "workload_identity_provider:", "aws-actions/configure-aws-credentials@", "role-to-assume:", "schedule:"} {
		if !strings.Contains(online, want) {
			t.Errorf("ceremony-online.yml lacks %q", want)
		}
	}
	pages := string(readFile(t, "workflows/ceremony-pages.yml"))
	for _, want := range []string{"actions/upload-pages-artifact@", "actions/deploy-pages@", "pages: write", "id-token: write"} {
		if !strings.Contains(pages, want) {
			t.Errorf("ceremony-pages.yml lacks %q", want)
		}
	}
}

func TestWorkflowStatusComment(t *testing.T) {
	w := newWorkflows(t)
	tl := pageRepo(t) // root v4 staged, bob signed
	seed := &ghState{Next: 200, Comments: map[string][]map[string]any{"7": {
		{"id": 101, "body": "Looks good", "user": map[string]any{"login": "alice-gh"}},
		{"id": 102, "body": marker + " not the bot's", "user": map[string]any{"login": "mallory"}},
	}}}
	if err := seed.save(w.gh); err != nil {
		t.Fatal(err)
	}
	env := []string{"PR_NUMBER=7", "GH_REPO=acme/root", "GITHUB_SHA=abc123"}

	r := w.run("status-comment.sh", tl.dir, env...)
	if r.code != 0 {
		t.Fatalf("status-comment: %v", r)
	}
	cs := w.state().Comments["7"]
	if len(cs) != 3 {
		t.Fatalf("%d comments, want the two there and one new", len(cs))
	}
	first := cs[2]
	body, _ := first["body"].(string)
	for _, want := range []string{marker, "### ⏳ Root v4 signing status", "| root v4 (own) (3 of 5, 2 more needed) | bob | ✅ signed |", "Not ready to publish", "abc123"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(w.summary(), "Root v4 signing status") {
		t.Errorf("the job summary lacks the status:\n%s", w.summary())
	}
	if c := w.calls(); len(c) != 2 || !strings.HasPrefix(c[0], "api --paginate repos/acme/root/issues/7/comments --jq") || !strings.HasPrefix(c[1], "api -X POST repos/acme/root/issues/7/comments") {
		t.Errorf("gh calls: %q", c)
	}

	// More signatures: the same comment is edited, none is added.
	for _, h := range []string{"alice", "carol", "erin"} {
		tl.must("sign", "-holder", h, "-token", "fake", "-pin-fd", "3")
	}
	if r := w.run("status-comment.sh", tl.dir, env...); r.code != 0 {
		t.Fatalf("status-comment again: %v", r)
	}
	cs = w.state().Comments["7"]
	if len(cs) != 3 {
		t.Fatalf("%d comments after the second run, want 3", len(cs))
	}
	body, _ = cs[2]["body"].(string)
	if cs[2]["id"] != first["id"] || !strings.Contains(body, "### ✅ Root v4 signing status") || !strings.Contains(body, "ready to publish") {
		t.Errorf("the comment was not updated to ready:\n%s", body)
	}
	if cs[1]["body"] != marker+" not the bot's" {
		t.Errorf("another user's comment with the marker was changed: %v", cs[1])
	}
	if c := w.calls(); len(c) != 4 || !strings.HasPrefix(c[3], fmt.Sprintf("api -X PATCH repos/acme/root/issues/comments/%v -F body=@", first["id"])) {
		t.Errorf("gh calls: %q", c)
	}

	// A fork's pull request: the job summary only, gh is never called.
	before := len(w.calls())
	if r := w.run("status-comment.sh", tl.dir, append(env, "COMMENT=false")...); r.code != 0 {
		t.Fatalf("status-comment, COMMENT=false: %v", r)
	}
	if len(w.calls()) != before {
		t.Errorf("gh was called with COMMENT=false: %q", w.calls()[before:])
	}
	if n := strings.Count(w.summary(), "Root v4 signing status"); n != 3 {
		t.Errorf("the job summary holds %d statuses after three runs", n)
	}
}

func TestWorkflowStatusCommentNothingStaged(t *testing.T) {
	w := newWorkflows(t)
	src, _ := demoRun(t)
	dir := cloneDir(t, src)
	r := w.run("status-comment.sh", dir, "PR_NUMBER=3", "GH_REPO=acme/root")
	if r.code != 0 {
		t.Fatalf("status-comment: %v", r)
	}
	body, _ := w.state().Comments["3"][0]["body"].(string)
	for _, want := range []string{marker, "### No root is staged", "Enrolled keyholders: alice, bob, carol, dave, erin, frank."} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}

	// A staged root that does not parse fails the check, and says why.
	writeFile(t, filepath.Join(dir, "staged", "root.json"), []byte("{not json"))
	r = w.run("status-comment.sh", dir, "PR_NUMBER=3", "GH_REPO=acme/root")
	if r.code != 1 {
		t.Fatalf("status-comment over a broken staged root: %v", r)
	}
	cs := w.state().Comments["3"]
	body, _ = cs[len(cs)-1]["body"].(string)
	if len(cs) != 1 || !strings.Contains(body, "### ❌ ceremony status failed") || !strings.Contains(body, "staged/root.json") {
		t.Errorf("%d comments; the last:\n%s", len(cs), body)
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	sum := sha256.Sum256(readFile(t, p))
	return hex.EncodeToString(sum[:])
}

func TestWorkflowVerify(t *testing.T) {
	w := newWorkflows(t)
	src, _ := demoRun(t)
	dir := cloneDir(t, src)
	v1 := filepath.Join(dir, "repository", "1.root.json")
	announced := sha256File(t, v1)

	r := w.run("verify.sh", dir, "TRUSTED_ROOT_SHA256="+strings.ToUpper(announced))
	if r.code != 0 || !strings.Contains(r.stdout, "as announced") || !strings.Contains(r.stdout, "Verified: root v3") {
		t.Fatalf("verify.sh: %v", r)
	}
	if r := w.run("verify.sh", dir); r.code != 2 || !strings.Contains(r.stderr, "TRUSTED_ROOT_SHA256") {
		t.Errorf("verify.sh without the announced hash: %v", r)
	}
	// The announced root from elsewhere.
	elsewhere := filepath.Join(t.TempDir(), "announced.json")
	writeFile(t, elsewhere, readFile(t, v1))
	if r := w.run("verify.sh", dir, "TRUSTED_ROOT_SHA256="+announced, "TRUSTED_ROOT="+elsewhere); r.code != 0 {
		t.Errorf("verify.sh with TRUSTED_ROOT: %v", r)
	}

	// A pull request that swaps the first root is refused before the
	// tool trusts anything.
	swapped := cloneDir(t, dir)
	writeFile(t, filepath.Join(swapped, "repository", "1.root.json"), readFile(t, filepath.Join(dir, "repository", "2.root.json")))
	if r := w.run("verify.sh", swapped, "TRUSTED_ROOT_SHA256="+announced); r.code != 1 || !strings.Contains(r.stderr, "not the announced "+announced+"; refusing to trust it") {
		t.Errorf("verify.sh over a swapped 1.root.json: %v", r)
	}

	// A changed target file fails verification.
	tampered := cloneDir(t, dir)
	targets, _ := filepath.Glob(filepath.Join(tampered, "repository", "targets", "*.rekor.pub"))
	if len(targets) != 1 {
		t.Fatalf("rekor.pub targets: %q", targets)
	}
	writeFile(t, targets[0], []byte("not the key"))
	if r := w.run("verify.sh", tampered, "TRUSTED_ROOT_SHA256="+announced); r.code != 1 || !strings.Contains(r.stderr+r.stdout, "rekor.pub") {
		t.Errorf("verify.sh over a changed target: %v", r)
	}
}

func TestWorkflowBuildSite(t *testing.T) {
	w := newWorkflows(t)
	tl := pageRepo(t)
	site := filepath.Join(t.TempDir(), "_site")
	v1 := filepath.Join(tl.dir, "repository", "1.root.json")
	r := w.run("build-site.sh", tl.dir, "SITE_DIR="+site, "TRUSTED_ROOT="+v1)
	if r.code != 0 {
		t.Fatalf("build-site.sh: %v", r)
	}
	got := treeContents(t, site)
	for rel, data := range treeContents(t, filepath.Join(tl.dir, "repository")) {
		if got[rel] != data {
			t.Errorf("the site's %s is not the repository's", rel)
		}
	}
	for _, want := range []string{"index.html", ".nojekyll", "root.json", "3.root.json", "timestamp.json"} {
		if _, ok := got[want]; !ok {
			t.Errorf("the site lacks %s", want)
		}
	}
	for rel := range got {
		if strings.HasPrefix(rel, "keys/") || strings.HasPrefix(rel, "staged/") || rel == "ceremony.json" {
			t.Errorf("the site publishes %s", rel)
		}
	}
	if text := pageText(got["index.html"]); !strings.Contains(text, "Verified from the root you supplied (v1") || !strings.Contains(text, "Root v4 is being signed") {
		t.Errorf("the page on the site:\n%s", text)
	}
	if r := w.run("build-site.sh", tl.dir, "SITE_DIR="+site); r.code != 1 || !strings.Contains(r.stderr, "is not empty") {
		t.Errorf("build-site.sh into a full directory: %v", r)
	}
	link := cloneDir(t, tl.dir)
	if err := os.Symlink("/etc/passwd", filepath.Join(link, "repository", "passwd")); err != nil {
		t.Fatal(err)
	}
	if r := w.run("build-site.sh", link, "SITE_DIR="+filepath.Join(t.TempDir(), "s")); r.code != 1 || !strings.Contains(r.stderr, "other than files and directories") {
		t.Errorf("build-site.sh over a symbolic link: %v", r)
	}
}

// gitRepo makes dir a git repository with one commit of everything in it
// and a bare origin to push to, as a workflow's checkout is.
func gitRepo(t *testing.T, dir string) (origin string) {
	t.Helper()
	origin = t.TempDir()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(origin, "init", "-q", "--bare")
	git(dir, "init", "-q")
	git(dir, "add", "-A")
	git(dir, "commit", "-q", "-m", "ceremony")
	git(dir, "remote", "add", "origin", origin)
	git(dir, "push", "-q", "origin", "HEAD:main")
	return origin
}

func gitLog(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "log", "--format=%s", "main").CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, out)
	}
	return string(out)
}

// TestWorkflowRefresh: the scheduled job re-signs the online metadata that
// is about to expire with the KMS keys, verifies the result against the
// announced root, pushes it and starts the Pages workflow; on the next run
// nothing is due and it changes nothing.
func TestWorkflowRefresh(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the refresh workflow needs git: %v", err)
	}
	w := newWorkflows(t)
	tl := newTool(t)
	// Published six days ago: the 7-day timestamp expires tomorrow.
	tl.now = time.Now().AddDate(0, 0, -6)
	tl.must("init", "-name", "wf", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", testKMSSigners("wf"))
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
	origin := gitRepo(t, tl.dir)
	env := []string{"TRUSTED_ROOT_SHA256=" + sha256File(t, tl.path("repository/1.root.json")), "GH_REPO=acme/root", "GITHUB_REF_NAME=main"}

	r := w.run("refresh.sh", tl.dir, env...)
	if r.code != 0 || !strings.Contains(r.stdout, "Re-signed timestamp v2") || !strings.Contains(r.stdout, "Verified: root v1") || !strings.Contains(r.stdout, "refresh: pushed") {
		t.Fatalf("refresh.sh with the timestamp due: %v", r)
	}
	if out := string(readFile(t, filepath.Join(w.output, "output"))); !strings.Contains(out, "changed=true") {
		t.Errorf("GITHUB_OUTPUT: %q, want changed=true", out)
	}
	if log := gitLog(t, origin); !strings.Contains(log, "repository: online refresh of timestamp, snapshot and targets") {
		t.Errorf("origin's log lacks the refresh commit:\n%s", log)
	}
	if runs := w.state().Runs; len(runs) != 1 || !strings.HasPrefix(runs[0], "ceremony-pages.yml") {
		t.Errorf("workflow runs started: %q", runs)
	}

	r = w.run("refresh.sh", tl.dir, env...)
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to re-sign") || !strings.Contains(r.stdout, "refresh: nothing to re-sign") {
		t.Fatalf("refresh.sh with nothing due: %v", r)
	}
	if out := string(readFile(t, filepath.Join(w.output, "output"))); !strings.HasSuffix(strings.TrimSpace(out), "changed=false") {
		t.Errorf("GITHUB_OUTPUT: %q, want changed=false last", out)
	}
	if runs := w.state().Runs; len(runs) != 1 {
		t.Errorf("a refresh with nothing to do started workflows: %q", runs)
	}
}

// TestWorkflowExpiryIssue: when the root expires within its signing period
// the reminder opens one issue, updates it on the next run, and closes it
// once a new root is out.
func TestWorkflowExpiryIssue(t *testing.T) {
	w := newWorkflows(t)
	tl := newTool(t)
	// Published 160 days ago: the 180-day root expires in 20 days.
	tl.now = time.Now().AddDate(0, 0, -160)
	tl.must("init", "-name", "wf", "-threshold", "1", "-attestation-roots", "fake", "-online-signers", testKMSSigners("wf"))
	tl.must("enroll", "-holder", "alice", "-token", "fake")
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
	env := []string{"GH_REPO=acme/root"}
	for run := 1; run <= 2; run++ {
		r := w.run("expiry-issue.sh", tl.dir, env...)
		if r.code != 0 || !strings.Contains(r.stdout, "within its signing period of 30 days") {
			t.Fatalf("expiry-issue.sh run %d: %v", run, r)
		}
		issues := w.state().Issues
		if len(issues) != 1 || issues[0]["state"] != "open" || !strings.Contains(fmt.Sprint(issues[0]["body"]), "Root v1 expires on") {
			t.Fatalf("run %d: issues %v, want one open issue quoting the tool", run, issues)
		}
	}
	tl.now = time.Now()
	tl.must("stage")
	tl.must("sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	tl.must("publish")
	r := w.run("expiry-issue.sh", tl.dir, env...)
	if r.code != 0 || !strings.Contains(r.stdout, "closed #") {
		t.Fatalf("expiry-issue.sh after root v2: %v", r)
	}
	if issues := w.state().Issues; len(issues) != 1 || issues[0]["state"] != "closed" {
		t.Fatalf("issues %v, want the one issue closed", issues)
	}
}
