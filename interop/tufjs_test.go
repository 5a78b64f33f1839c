package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// tufjsResult is what tufjs/check.mjs prints after a successful check.
type tufjsResult struct {
	Verified bool `json:"verified"`
	Roots    []struct {
		Version int64 `json:"version"`
	} `json:"roots"`
	FinalVersion int64 `json:"final_version"`
	Roles        []struct {
		Role    string `json:"role"`
		Version int64  `json:"version"`
	} `json:"roles"`
	Targets []struct {
		Role   string         `json:"role"`
		Path   string         `json:"path"`
		Length int64          `json:"length"`
		Custom map[string]any `json:"custom"`
	} `json:"targets"`
}

// runTUFJS runs check.mjs on a repository with node. It fails the test
// (never skips it) when node or the npm packages are missing: CI installs
// them with `npm ci` in interop/tufjs.
func runTUFJS(t *testing.T, repo string) (stdout, stderr string, err error) {
	t.Helper()
	node, lookErr := exec.LookPath("node")
	if lookErr != nil {
		t.Fatalf("the tuf-js check needs node (Node.js 20.17 or later) on PATH: %v", lookErr)
	}
	models := filepath.Join("tufjs", "node_modules", "@tufjs", "models", "package.json")
	if _, statErr := os.Stat(models); statErr != nil {
		t.Fatalf("the tuf-js check needs @tufjs/models: run `npm ci` in interop/tufjs (%v)", statErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs", "--metadata", repo, "--targets", filepath.Join(repo, "targets"))
	cmd.Dir = "tufjs"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestTUFJS: tuf-js's models verify every root of the demo chain against
// its predecessor and itself, then the timestamp, snapshot, targets,
// delegated role and target files against the final root. What tuf-js
// reports must match what the repository lists.
func TestTUFJS(t *testing.T) {
	repo := demo(t)
	stdout, stderr, err := runTUFJS(t, repo)
	if err != nil {
		t.Fatalf("tuf-js rejected the demo repository: %v\n%s", err, stderr)
	}
	var res tufjsResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("check.mjs printed no result: %v\n%s", err, stdout)
	}
	if !res.Verified {
		t.Fatalf("check.mjs: verified=false\n%s", stdout)
	}

	versions := rootVersions(t, repo)
	var got []int64
	for _, r := range res.Roots {
		got = append(got, r.Version)
	}
	if !reflect.DeepEqual(got, versions) {
		t.Errorf("tuf-js verified roots %v; the demo published %v", got, versions)
	}
	if res.FinalVersion != versions[len(versions)-1] {
		t.Errorf("tuf-js final root v%d; want v%d", res.FinalVersion, versions[len(versions)-1])
	}

	l := list(t, repo)
	roles := map[string]int64{}
	for _, r := range res.Roles {
		roles[r.Role] = r.Version
	}
	if !reflect.DeepEqual(roles, l.Roles) {
		t.Errorf("tuf-js verified roles %v; the snapshot lists %v", roles, l.Roles)
	}
	var gotPaths, wantPaths []string
	for _, tg := range res.Targets {
		gotPaths = append(gotPaths, tg.Path)
		want, ok := l.Targets[tg.Path]
		if !ok {
			t.Errorf("tuf-js reports target %s that no role lists", tg.Path)
			continue
		}
		if tg.Role != want.Role || tg.Length != want.Length {
			t.Errorf("%s: tuf-js says role %s, length %d; metadata says %s, %d", tg.Path, tg.Role, tg.Length, want.Role, want.Length)
		}
		// tuf-js reports an absent custom field as {}.
		if (len(tg.Custom) > 0 || len(l.Custom[tg.Path]) > 0) && !reflect.DeepEqual(tg.Custom, l.Custom[tg.Path]) {
			t.Errorf("%s: tuf-js custom metadata %v; file says %v", tg.Path, tg.Custom, l.Custom[tg.Path])
		}
	}
	for p := range l.Targets {
		wantPaths = append(wantPaths, p)
	}
	sort.Strings(gotPaths)
	sort.Strings(wantPaths)
	if !reflect.DeepEqual(gotPaths, wantPaths) {
		t.Errorf("tuf-js checked targets %v; the repository lists %v", gotPaths, wantPaths)
	}
}

// TestTUFJSRejectsTampering shows the tuf-js check can fail: a root whose
// signed content changed, a missing root version, and a modified target
// file each make check.mjs exit non-zero with a reason.
func TestTUFJSRejectsTampering(t *testing.T) {
	repo := demo(t)
	l := list(t, repo)
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"root content changed after signing", func(t *testing.T, dir string) {
			tamperRoot(t, filepath.Join(dir, "2.root.json"))
		}, "2.root.json"},
		{"root version missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "2.root.json")); err != nil {
				t.Fatal(err)
			}
		}, "gap"},
		{"target file modified", func(t *testing.T, dir string) {
			for p := range l.Targets {
				f := l.targetFile(dir, p)
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)-1] ^= 1
				if err := os.WriteFile(f, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
		}, "target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := copyRepo(t, repo)
			c.tamper(t, bad)
			_, stderr, err := runTUFJS(t, bad)
			if err == nil {
				t.Fatalf("tuf-js accepted the repository with %s", c.name)
			}
			if _, ok := err.(*exec.ExitError); !ok {
				t.Fatalf("check.mjs did not run: %v", err)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("check.mjs error %q does not mention %q", stderr, c.want)
			}
		})
	}
}
