package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, osEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}

const usage = `ceremony: TUF root key ceremonies from a git-friendly directory.

Usage: ceremony <command> [flags] [args]

Every command except demo and verify -chain works on a ceremony repository,
the current directory or the one given with -C DIR.

  init        create ceremony.json: thresholds, expiry periods, online signers
              (KMS URIs or pem:FILE; -online-signers fake for a demo)
  enroll      generate a keyholder's key on a token, check its attestation,
              write keys/NAME.json            (-holder NAME -token piv|fake)
  stage       build the next root (v1, or N+1 with -add/-remove/-replace/
              -threshold), lint it and show what changed
  sign        sign the staged root with a keyholder's token, writing one file
              per signature to staged/signatures/   (-holder NAME -token piv|fake)
  status      who signed, who is missing, per threshold (-format text|markdown|json)
  publish     merge signatures, verify thresholds and chain, write
              repository/N.root.json and refresh targets, snapshot, timestamp
  refresh     the scheduled job: re-sign timestamp, snapshot and targets with
              the online keys when they expire within a window (-window 2d)
  expiry      the root expiry reminder: exits non-zero when the root expires
              within its signing period (-signing-period 30d)
  targets     targets add NAME FILE [-custom JSON] | add NAME -custom JSON |
              remove NAME | list
  delegation  delegation add|target|sign|publish|remove|list: a delegated
              targets role for another project, with its own keys, threshold
              and paths
  verify      verify the ceremony repository, or any directory of N.root.json
              files: verify -chain DIR [-trusted FILE] [-at RFC3339] [-json]
  diagram     print the root chain as a Mermaid diagram
  page        write a static HTML page of the repository: root chain, who
              signed what, expiry, targets, delegations (-out DIR)
  demo        the whole story with fake tokens: demo -out DIR

PINs are never taken from flags or the environment: sign and enroll prompt
for them, or read them from an inherited file descriptor (-pin-fd 3). The
fake tokens of -token fake are INSECURE, for demos and tests; the ` + fakePINNote + `.

Every command but demo finds the ceremony repository as git finds its
repository (the current directory or the nearest parent holding
ceremony.json), or takes it from -C DIR, before or after the command.

Run "ceremony <command> -h" for a command's flags.
`

type command struct {
	name string
	run  func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"init", cmdInit},
		{"enroll", cmdEnroll},
		{"stage", cmdStage},
		{"sign", cmdSign},
		{"status", cmdStatus},
		{"publish", cmdPublish},
		{"refresh", cmdRefresh},
		{"expiry", cmdExpiry},
		{"targets", cmdTargets},
		{"delegation", cmdDelegation},
		{"verify", cmdVerify},
		{"diagram", cmdDiagram},
		{"page", cmdPage},
		{"demo", cmdDemo},
	}
}

// exitInterrupted is the exit status of a command ended by Ctrl-C.
const exitInterrupted = 130

// run executes one command line and returns the exit status: 0 success,
// 1 failure, 2 bad usage, 130 interrupted.
func run(ctx context.Context, e *env, args []string) int {
	// -C DIR before the command, as with git and make.
	var dirArgs []string
	for len(args) > 0 && (args[0] == "-C" || args[0] == "--C" || strings.HasPrefix(args[0], "-C=") || strings.HasPrefix(args[0], "--C=")) {
		if _, d, ok := strings.Cut(args[0], "="); ok {
			dirArgs, args = []string{"-C", d}, args[1:]
			continue
		}
		if len(args) < 2 {
			fmt.Fprintf(e.stderr, "ceremony: -C needs a directory\n\n%s", usage)
			return 2
		}
		dirArgs, args = []string{"-C", args[1]}, args[2:]
	}
	if dirArgs != nil && len(args) > 0 {
		// The command's own -C, given after the command name (and after a
		// subcommand's name), so its flag set reports a misuse.
		at := 1
		if (args[0] == "targets" || args[0] == "delegation") && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
			at = 2
		}
		args = append(append(append([]string(nil), args[:at]...), dirArgs...), args[at:]...)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		return runCommand(ctx, e, c.name, c.run, args[1:])
	}
	fmt.Fprintf(e.stderr, "ceremony: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newFlags returns a flag set whose errors go to e.stderr and are not
// fatal.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: ceremony %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments, and
// returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitError{code: 2, err: err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// repoFlag adds -C to fs.
func repoFlag(fs *flag.FlagSet) *string {
	return fs.String("C", "", "the ceremony repository `directory` (default: the current directory or the nearest parent holding ceremony.json)")
}

// openRepo opens the ceremony repository dir; with no dir, the current
// directory or, as git finds its repository, the nearest parent directory
// that holds ceremony.json.
func openRepo(e *env, dir string) *repo {
	if dir == "" {
		dir = "."
		if found, ok := findRepo("."); ok {
			dir = found
		}
	}
	return &repo{dir: dir, e: e}
}

// findRepo returns the nearest directory from start upwards that holds
// ceremony.json, as a path relative to start when it is a parent.
func findRepo(start string) (string, bool) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", false
	}
	rel := start
	for d := abs; ; {
		if fi, err := os.Stat(filepath.Join(d, policyFile)); err == nil && fi.Mode().IsRegular() {
			return filepath.Clean(rel), true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d, rel = parent, filepath.Join(rel, "..")
	}
}

// openRepoForInit opens the directory init writes ceremony.json to, and
// refuses one inside another ceremony repository (init run by mistake in
// keys/ would start a second ceremony there).
func openRepoForInit(e *env, dir string) (*repo, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	if parent := filepath.Dir(abs); parent != abs {
		if found, ok := findRepo(parent); ok {
			outer, _ := filepath.Abs(found)
			return nil, fmt.Errorf("ceremony: %s is inside the ceremony repository %s (it holds %s); run init in a directory of its own, or run the command you meant in %s", filepath.ToSlash(dir), filepath.ToSlash(outer), policyFile, filepath.ToSlash(outer))
		}
	}
	return &repo{dir: dir, e: e}, nil
}

// runCommand runs one command and maps its error to an exit status.
func runCommand(ctx context.Context, e *env, name string, fn func(context.Context, *env, []string) error, args []string) int {
	err := fn(ctx, e, args)
	e.closeSigners()
	e.sflags = nil
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		// Interrupted (Ctrl-C): 128+SIGINT, like other Unix tools.
		fmt.Fprintf(e.stderr, "ceremony %s: %s\n", name, strings.TrimPrefix(err.Error(), "ceremony: "))
		return exitInterrupted
	}
	var xe *exitError
	if errors.As(err, &xe) && xe.code == 2 {
		fmt.Fprintf(e.stderr, "ceremony %s: %s\n", name, strings.TrimPrefix(xe.err.Error(), "ceremony: "))
		return 2
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(e.stderr, "ceremony %s: %s\n", name, strings.TrimPrefix(err.Error(), "ceremony: "))
	}
	return 1
}
