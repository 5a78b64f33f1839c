package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustroot/trustroot/signer/fake"
)

// demoPINFD is the file descriptor number the demo's keyholders "pass"
// their PIN on; the demo serves it from memory.
const demoPINFD = 3

// demoNames are what a previous demo run leaves in its directory; the demo
// removes only these before starting again.
var demoNames = []string{policyFile, keysDir, stagedDir, repoDir, "material"}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "demo", "-out DIR")
	out := f.String("out", "", "the `directory` to create the demo ceremony in (required)")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("-out DIR is required")
	}
	if err := prepareDemoDir(*out); err != nil {
		return err
	}
	d := &demo{e: e, dir: *out}
	// Keyholders hand their PIN over an inherited file descriptor, never
	// on the command line; the demo plays that file descriptor.
	de := *e
	de.openFD = func(fd int) (io.ReadCloser, error) {
		if fd != demoPINFD {
			return nil, fmt.Errorf("file descriptor %d is not open", fd)
		}
		return io.NopCloser(strings.NewReader(fake.DefaultPIN + "\n")), nil
	}
	d.e = &de
	return d.run(ctx)
}

// prepareDemoDir makes sure dir is empty or holds an earlier demo, whose
// known parts it removes.
func prepareDemoDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("ceremony: %w", err)
	}
	if len(ents) == 0 {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(dir, policyFile))
	if err != nil || !strings.Contains(string(data), `"name": "demo"`) {
		return fmt.Errorf("ceremony: %s is not empty and holds no earlier demo; choose a new directory", dir)
	}
	for _, n := range demoNames {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("ceremony: cleaning the earlier demo: %w", err)
		}
	}
	return nil
}

type demo struct {
	e    *env
	dir  string
	step int
}

func (d *demo) section(title string) {
	d.step++
	d.e.printf("\n== Step %d: %s ==\n", d.step, title)
}

func (d *demo) say(format string, args ...any) {
	d.e.printf(format+"\n", args...)
}

// cmd runs one tool command line in the demo directory, echoing it.
func (d *demo) cmd(ctx context.Context, args ...string) error {
	d.e.printf("\n$ ceremony %s\n", strings.Join(quoteArgs(args), " "))
	full := append([]string{args[0]}, args[1:]...)
	if !(args[0] == "verify" && contains(args, "-chain")) && args[0] != "demo" {
		// Every repository command runs on the demo directory.
		full = append(full[:1], append([]string{"-C", d.dir}, full[1:]...)...)
		if args[0] == "targets" || args[0] == "delegation" {
			full = append([]string{args[0], args[1], "-C", d.dir}, args[2:]...)
		}
	}
	if code := run(ctx, d.e, full); code != 0 {
		return fmt.Errorf("ceremony: demo step failed: ceremony %s exited with status %d", strings.Join(args, " "), code)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " {}\"*") {
			out[i] = "'" + a + "'"
		} else {
			out[i] = a
		}
	}
	return out
}

func (d *demo) run(ctx context.Context) error {
	pin := fmt.Sprint(demoPINFD)
	holders := []string{"alice", "bob", "carol", "dave", "erin"}
	d.e.printf("A TUF root key ceremony with fake tokens, in %s.\n", d.dir)
	d.e.printf("Every keyholder's contribution is its own file, so each can be its own pull request.\n")
	d.e.printf("The fake tokens and online keys are INSECURE, for demos; the %s, passed on file descriptor %d.\n", fakePINNote, demoPINFD)

	d.section("the host writes the policy: a 3-of-5 root, online keys for targets, snapshot and timestamp")
	if err := d.cmd(ctx, "init", "-name", "demo", "-threshold", "3", "-attestation-roots", "fake", "-online-signers", "fake"); err != nil {
		return err
	}

	d.section("five keyholders each generate a key on their token and enrol it with its attestation")
	for _, h := range holders {
		if err := d.cmd(ctx, "enroll", "-holder", h, "-token", "fake"); err != nil {
			return err
		}
	}

	d.section("the host stages root v1")
	if err := d.cmd(ctx, "stage"); err != nil {
		return err
	}

	d.section("keyholders sign root v1, one signature file each")
	for _, h := range holders[:3] {
		if err := d.cmd(ctx, "sign", "-holder", h, "-token", "fake", "-pin-fd", pin); err != nil {
			return err
		}
	}
	d.say("\nThe pull-request comment attendees watch:")
	if err := d.cmd(ctx, "status", "-format", "markdown"); err != nil {
		return err
	}

	d.section("the host publishes root v1 and the online metadata")
	if err := d.cmd(ctx, "publish"); err != nil {
		return err
	}

	d.section("the root protects the services' keys: a CA certificate, a log key, a timestamp certificate")
	m, err := newServiceMaterial(d.e.currentTime())
	if err != nil {
		return err
	}
	mat := filepath.Join(d.dir, "material")
	files := map[string][]byte{
		"fulcio.crt.pem":    m.caPEM,
		"rekor.pub":         m.logKeyPEM,
		"tsa.crt.pem":       m.tsaPEM,
		"trusted_root.json": m.trustedRoot,
		"acme-release.pub":  []byte(mustPEM(fake.New("ceremony-demo-acme-release").Public())),
	}
	for name, data := range files {
		if err := d.e.writeFile(filepath.Join(mat, name), data); err != nil {
			return err
		}
	}
	d.say("Generated %s/{fulcio.crt.pem,rekor.pub,tsa.crt.pem,trusted_root.json}.", mat)
	for _, t := range []struct{ name, usage string }{
		{"fulcio.crt.pem", "Fulcio"},
		{"rekor.pub", "Rekor"},
		{"tsa.crt.pem", "TSA"},
	} {
		custom := fmt.Sprintf(`{"sigstore":{"usage":%q,"status":"Active"}}`, t.usage)
		if err := d.cmd(ctx, "targets", "add", t.name, filepath.Join(mat, t.name), "-custom", custom); err != nil {
			return err
		}
	}
	if err := d.cmd(ctx, "targets", "add", "trusted_root.json", filepath.Join(mat, "trusted_root.json")); err != nil {
		return err
	}

	d.section("another project, acme, gets its own delegated role for acme/* (2 of 2 of its keys)")
	if err := d.cmd(ctx, "delegation", "add", "-role", "acme", "-key", "fake:acme-1", "-key", "fake:acme-2", "-threshold", "2", "-paths", "acme/*"); err != nil {
		return err
	}
	if err := d.cmd(ctx, "delegation", "target", "-role", "acme", "acme/release.pub", filepath.Join(mat, "acme-release.pub")); err != nil {
		return err
	}
	for _, k := range []string{"fake:acme-1", "fake:acme-2"} {
		if err := d.cmd(ctx, "delegation", "sign", "-role", "acme", "-key", k); err != nil {
			return err
		}
	}
	if err := d.cmd(ctx, "delegation", "publish", "-role", "acme"); err != nil {
		return err
	}

	d.section("rotation to v2: dave hands over to frank")
	if err := d.cmd(ctx, "enroll", "-holder", "frank", "-token", "fake"); err != nil {
		return err
	}
	if err := d.cmd(ctx, "stage", "-replace", "dave=frank"); err != nil {
		return err
	}
	for _, h := range []string{"alice", "bob", "carol", "frank"} {
		if err := d.cmd(ctx, "sign", "-holder", h, "-token", "fake", "-pin-fd", pin); err != nil {
			return err
		}
	}
	if err := d.cmd(ctx, "status"); err != nil {
		return err
	}
	if err := d.cmd(ctx, "publish"); err != nil {
		return err
	}

	d.section("rotation to v3: the threshold goes from 3 to 4 of 5")
	if err := d.cmd(ctx, "stage", "-threshold", "4"); err != nil {
		return err
	}
	for _, h := range []string{"bob", "carol", "erin", "frank"} {
		if err := d.cmd(ctx, "sign", "-holder", h, "-token", "fake", "-pin-fd", pin); err != nil {
			return err
		}
	}
	if err := d.cmd(ctx, "publish"); err != nil {
		return err
	}

	d.section("anyone verifies: attestations, the root chain, the online metadata and every target")
	if err := d.cmd(ctx, "verify"); err != nil {
		return err
	}

	d.section("the chain, as a diagram for the README or a pull request")
	if err := d.cmd(ctx, "diagram"); err != nil {
		return err
	}
	rt, _, err := openRepo(d.e, d.dir).latestRootData()
	if err != nil {
		return err
	}
	digest, err := rt.Digest()
	if err != nil {
		return err
	}
	d.e.printf("\nDone. %s is a TUF repository (consistent snapshots) any TUF client can fetch over HTTP.\n", filepath.Join(d.dir, repoDir))
	d.e.printf("Announce root v%d with its SHA-256: %s\n", rt.Version(), digest)
	return nil
}

func mustPEM(pub any) string {
	s, err := publicKeyPEM(pub)
	if err != nil {
		panic(err) // a fake P-256 key always encodes
	}
	return s
}
