package main

// Hardening, from outside the process: the ceremony binary is built and
// run as a keyholder would run it. No command takes a PIN (or PUK or
// management key) as a flag value, a PIN in the environment is never used,
// a PIN read from a file descriptor never reaches the output or any file,
// and a refused signature writes nothing.

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustroot/trustroot/signer/fake"
)

// buildCeremony builds the ceremony binary into a temporary directory.
func buildCeremony(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ceremony")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the ceremony tool: %v\n%s", err, out)
	}
	return bin
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runCeremony runs the binary; pin, when not nil, is readable on fd 3.
func runCeremony(t *testing.T, bin string, env []string, pin []byte, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = bytes.NewReader(nil)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	if pin != nil {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(pin); err != nil {
			t.Fatal(err)
		}
		w.Close()
		defer r.Close()
		cmd.ExtraFiles = []*os.File{r}
	}
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return runResult{code, stdout.String(), stderr.String()}
}

// filesContaining returns the files under dir whose content contains s.
func filesContaining(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			hits = append(hits, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// listFiles returns every file under dir with its content.
func listFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		m[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// secretFlag matches flag names that would carry a secret.
var secretFlag = regexp.MustCompile(`(?i)pin|puk|management|mgmt|passw|secret|private`)

// TestNoCommandTakesASecretAsAFlag reads every command's flags from its
// -h output: a flag whose name suggests a secret must be a file
// descriptor number or a boolean switch, never the secret itself.
func TestNoCommandTakesASecretAsAFlag(t *testing.T) {
	bin := buildCeremony(t)
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)(?: (\S+))?$`)
	checked := 0
	for _, c := range commands() {
		r := runCeremony(t, bin, nil, nil, c.name, "-h")
		help := r.stdout + r.stderr
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			name, arg := m[1], m[2]
			checked++
			if !secretFlag.MatchString(name) {
				continue
			}
			isFD := strings.HasSuffix(name, "-fd")
			isSwitch := arg == ""
			if !isFD && !isSwitch {
				t.Errorf("ceremony %s -%s %s: a flag that may carry a secret", c.name, name, arg)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d flags found in the commands' help; the help format changed", checked)
	}
	// Passing a PIN as a flag is a usage error, for each command that uses
	// a token.
	for _, cmd := range []string{"sign", "enroll"} {
		for _, f := range []string{"-pin", "-PIN", "-puk", "-management-key"} {
			r := runCeremony(t, bin, nil, nil, cmd, f, "123456")
			if r.code != 2 {
				t.Errorf("ceremony %s %s 123456: exit %d, want 2 (unknown flag)", cmd, f, r.code)
			}
		}
	}
}

// TestPINNeverLeaks runs a small ceremony with fake tokens: a wrong PIN, a
// PIN in the environment, the wrong token and finally the right PIN. The
// PINs never appear in any output or file, and only the good signature is
// written.
func TestPINNeverLeaks(t *testing.T) {
	bin := buildCeremony(t)
	dir := t.TempDir()
	run := func(env []string, pin []byte, args ...string) runResult {
		t.Helper()
		return runCeremony(t, bin, env, pin, append(args[:1:1], append([]string{"-C", dir}, args[1:]...)...)...)
	}
	mustRun := func(args ...string) {
		t.Helper()
		if r := run(nil, nil, args...); r.code != 0 {
			t.Fatalf("ceremony %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	mustRun("init", "-name", "pins", "-threshold", "2", "-attestation-roots", "fake", "-online-signers", "fake")
	for _, h := range []string{"alice", "bob", "carol"} {
		mustRun("enroll", "-holder", h, "-token", "fake")
	}
	mustRun("stage")
	sigDir := filepath.Join(dir, "staged", "signatures")
	before := listFiles(t, dir)

	const wrongPIN = "918273"
	const envPIN = "564738"
	var outputs []string
	unchanged := func(what string) {
		t.Helper()
		after := listFiles(t, dir)
		if len(after) != len(before) {
			t.Errorf("%s: %d files before, %d after", what, len(before), len(after))
		}
		for p, data := range before {
			if after[p] != data {
				t.Errorf("%s: %s changed", what, p)
			}
		}
	}

	// A wrong PIN on fd 3: refused, nothing written.
	r := run(nil, []byte(wrongPIN+"\n"), "sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code == 0 {
		t.Fatalf("signing with a wrong PIN succeeded:\n%s", r.stdout)
	}
	t.Logf("wrong PIN: %s", r.stderr)
	if !strings.Contains(strings.ToLower(r.stderr), "pin") {
		t.Errorf("the error does not say the PIN was wrong: %s", r.stderr)
	}
	unchanged("wrong PIN")

	// A PIN in the environment is never read: with no terminal and no
	// -pin-fd, signing fails for want of a PIN.
	env := []string{"PIN=" + envPIN, "CEREMONY_PIN=" + envPIN, "YUBIKEY_PIN=" + envPIN, "TRUSTROOT_PIN=" + envPIN, "PIV_PIN=" + envPIN}
	r = run(env, nil, "sign", "-holder", "alice", "-token", "fake")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code == 0 {
		t.Fatalf("signing took a PIN from somewhere other than a prompt or -pin-fd:\n%s", r.stdout)
	}
	unchanged("PIN only in the environment")

	// The wrong token for the holder (a token holding another key) is
	// refused before any PIN is read, and nothing is written.
	r = run(nil, []byte(fake.DefaultPIN+"\n"), "sign", "-holder", "alice", "-token", "fake", "-fake-token", "mallory", "-pin-fd", "3")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code == 0 {
		t.Fatalf("signing as alice with mallory's token succeeded:\n%s", r.stdout)
	}
	unchanged("wrong token")

	// The right PIN: one signature file, and still no PIN anywhere.
	r = run(nil, []byte(fake.DefaultPIN+"\n"), "sign", "-holder", "alice", "-token", "fake", "-pin-fd", "3")
	outputs = append(outputs, r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("signing with the right PIN: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	sigs, err := os.ReadDir(sigDir)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("%d signature files after one good signature (%v)", len(sigs), err)
	}
	r = run(nil, nil, "status")
	outputs = append(outputs, r.stdout, r.stderr)

	for _, pin := range []string{wrongPIN, envPIN, fake.DefaultPIN} {
		for i, out := range outputs {
			if strings.Contains(withoutPINNote(out), pin) {
				t.Errorf("output %d contains the PIN %s:\n%s", i, pin, out)
			}
		}
		if hits := filesContaining(t, dir, pin); len(hits) > 0 {
			t.Errorf("files contain the PIN %s: %v", pin, hits)
		}
	}
}
