package main

// The page in a real browser: Debian's chromium, headless, driven by
// chromedp over the DevTools protocol. The test runs whenever chromium is
// installed; with TRUSTROOT_BROWSER=1 (CI) a missing chromium fails it.
//
//	TRUSTROOT_BROWSER=1 go test -run TestPageInBrowser -v ./examples/ceremony
//
// The screenshot goes to $TRUSTROOT_ARTIFACTS if set, else to a new
// temporary directory; the test prints where.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	browserGate  = "TRUSTROOT_BROWSER"
	artifactsEnv = "TRUSTROOT_ARTIFACTS"
)

// findChromium returns the browser to drive, failing the test when the
// gate is set and there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(browserGate) == "1" {
		t.Fatalf("%s=1 but no chromium is installed (Debian: apt-get install chromium; scripts/install-deps.sh does)", browserGate)
	}
	t.Skipf("chromium is not installed and %s is not set; the browser test does not run", browserGate)
	return ""
}

// browserLog is what the page did: every request, every console message.
type browserLog struct {
	mu       sync.Mutex
	requests []string
	console  []string // errors and exceptions
	other    []string // other console messages, for the log
}

func (b *browserLog) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg := fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.console = append(b.console, msg)
		} else {
			b.other = append(b.other, msg)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.console = append(b.console, msg)
	case *log.EventEntryAdded:
		msg := fmt.Sprintf("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		if ev.Entry.Level == log.EntryLevelError {
			b.console = append(b.console, msg)
		} else {
			b.other = append(b.other, msg)
		}
	}
}

// outside lists the requests other than the page itself and data: URLs.
func (b *browserLog) outside(page string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, u := range b.requests {
		if u != page && !strings.HasPrefix(u, "data:") {
			out = append(out, u)
		}
	}
	return out
}

func (b *browserLog) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// visibleJS returns the needles that no rendered, visible text node on the
// page contains.
const visibleJS = `(function (needles) {
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || Number(s.opacity) === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const texts = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    if (n.parentElement && n.parentElement.closest("title") === null && shown(n.parentElement)) texts.push(n.data);
  }
  return needles.filter((x) => !texts.some((t) => t.includes(x)));
})(%s)`

// browse opens fileURL in a fresh headless chromium and returns what the
// page did, the needles not visible, and a full-page screenshot (PNG).
func browse(t *testing.T, chromium, fileURL string, needles []string) (*browserLog, []string, []byte) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // chromium refuses to run as root otherwise
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	// A deadline so a wedged browser cannot hang the suite; not a timing
	// assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()

	bl := &browserLog{}
	if err := chromedp.Listen(bctx, bl.listen); err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(fileURL)); err != nil {
		t.Fatalf("opening %s: %v", fileURL, err)
	}
	arg, err := json.Marshal(needles)
	if err != nil {
		t.Fatal(err)
	}
	missing, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](fmt.Sprintf(visibleJS, arg)))
	if err != nil {
		t.Fatalf("reading the page's text: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return bl, missing, shot
}

func pageURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

func artifactsDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv(artifactsEnv); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "ceremony-page-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPageInBrowser(t *testing.T) {
	chromium := findChromium(t)
	tl := pageRepo(t)
	site := filepath.Join(t.TempDir(), "site")
	if r := tl.in("page", "-out", site); r.code != 0 {
		t.Fatalf("page: %v", r)
	}
	index := filepath.Join(site, "index.html")
	u := pageURL(index)
	needles := []string{
		// Versions, with the staged one and its state.
		"root v1", "root v2", "root v3", "root v4", "staged, being signed",
		"not ready to publish", "needs 2 more", "needs 3 more",
		// Keyholders by name.
		"alice", "bob", "carol", "dave", "erin", "frank",
		// The rest of the page.
		"Root v1 to v3 verified", "fulcio.crt.pem", `"usage": "Fulcio"`, "acme/release.pub", "timestamp",
	}
	bl, missing, shot := browse(t, chromium, u, needles)
	if len(missing) > 0 {
		t.Errorf("not visible on the page: %q", missing)
	}
	if errs := bl.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
	if out := bl.outside(u); len(out) > 0 {
		t.Errorf("requests outside the page's own files: %q", out)
	}
	if len(bl.requests) == 0 {
		t.Error("no request seen at all: the network listener saw nothing, so the check above proves nothing")
	}
	for _, m := range bl.other {
		t.Logf("console: %s", m)
	}
	if len(shot) < 1000 || string(shot[1:4]) != "PNG" {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(shot))
	}
	dir := artifactsDir(t)
	name := filepath.Join(dir, "ceremony-page.png")
	if err := os.WriteFile(name, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s", u, name)
}

// TestPageBrowserChecksCatch shows the checks above can fail: the same
// page with a remote image, a remote style sheet and a script error is
// caught on all three counts.
func TestPageBrowserChecksCatch(t *testing.T) {
	chromium := findChromium(t)
	tl := pageRepo(t)
	site := filepath.Join(t.TempDir(), "site")
	if r := tl.in("page", "-out", site); r.code != 0 {
		t.Fatalf("page: %v", r)
	}
	index := filepath.Join(site, "index.html")
	html := string(readFile(t, index))
	// Without the page's policy, so the requests really go out (to a
	// closed local port); with it, the browser refuses them and logs an
	// error, which the console check catches as well.
	bad := strings.Replace(html, "<meta http-equiv=\"Content-Security-Policy\"", "<meta name=\"x-removed\"", 1)
	bad = strings.Replace(bad, "</body>", `<img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="http://127.0.0.1:9/x.css"><script>undefinedFunction()</script><p hidden>hidden text</p></body>`, 1)
	badFile := filepath.Join(site, "bad.html")
	writeFile(t, badFile, []byte(bad))
	u := pageURL(badFile)
	bl, missing, _ := browse(t, chromium, u, []string{"alice", "hidden text", "no such text"})
	if strings.Join(missing, ",") != "hidden text,no such text" {
		t.Errorf("visibility check: missing %q, want hidden text and no such text", missing)
	}
	out := strings.Join(bl.outside(u), " ")
	for _, want := range []string{"http://127.0.0.1:9/x.png", "http://127.0.0.1:9/x.css"} {
		if !strings.Contains(out, want) {
			t.Errorf("the request to %s was not seen (saw %q)", want, out)
		}
	}
	if errs := strings.Join(bl.errors(), "\n"); !strings.Contains(errs, "undefinedFunction") {
		t.Errorf("the script error was not seen:\n%s", errs)
	}
}
