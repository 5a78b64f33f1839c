package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/piv"
	"github.com/trustroot/trustroot/verify"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	out := fl.String("out", "", "directory for the repository")
	pivs := fl.String("piv", "", "the keyholders' YubiKey serials, comma-separated (slot 9c)")
	if err := fl.Parse(args); err != nil || *out == "" {
		return errors.New("usage: bootstrap -out DIR [-piv SERIAL,SERIAL,SERIAL]")
	}
	// Never overwrite a repository: its 1.root.json is what clients
	// already trust. Checked before any token is asked for a PIN.
	for _, name := range []string{"1.root.json", "timestamp.json"} {
		if _, err := os.Lstat(filepath.Join(*out, name)); err == nil {
			return fmt.Errorf("%s already holds a repository (%s); bootstrap only creates a new one, so choose another -out directory", *out, name)
		}
	}
	holders, serials := []string{"alice", "bob", "carol"}, make([]string, 3) // "": a fake token
	if *pivs != "" {
		if serials = strings.Split(*pivs, ","); len(serials) != len(holders) {
			return fmt.Errorf("-piv wants three YubiKey serial numbers, got %q", *pivs)
		}
	}
	var signers []signer.Signer
	var keys []root.Key
	for i, h := range holders {
		s, err := token(ctx, h, serials[i])
		if err != nil {
			return err
		}
		if c, ok := s.(io.Closer); ok {
			defer c.Close() // a YubiKey stays locked to us until closed
		}
		k, err := root.NewKey(s.Public(), root.KeyOptions{Holder: h}) // annotated with its holder
		if err != nil {
			return err
		}
		signers, keys = append(signers, s), append(keys, k)
	}
	// In production the online key lives in a KMS (signer/sigstore.LoadKMS).
	online := fake.New("online") // INSECURE, like the fake tokens
	onlineKey, err := root.NewKey(online.Public(), root.KeyOptions{Holder: "online"})
	if err != nil {
		return err
	}
	r, err := root.New(root.Policy{
		Roles: map[root.Role]root.RolePolicy{
			root.RoleRoot: {Keys: keys, Threshold: 2}, root.RoleTargets: {Keys: keys, Threshold: 2},
			root.RoleSnapshot: {Keys: []root.Key{onlineKey}, Threshold: 1}, root.RoleTimestamp: {Keys: []root.Key{onlineKey}, Threshold: 1},
		},
		Expires:            time.Now().AddDate(0, 6, 0),
		ConsistentSnapshot: true, // what HTTP mirrors want
	})
	if err != nil {
		return err
	}
	for _, w := range root.Lint(r, root.LintOptions{}) {
		fmt.Fprintf(stdout, "warning: %s\n", w.Message)
	}
	// Sign checks each key is listed before a token asks for a PIN, and
	// verifies every signature it adds.
	for i, s := range signers {
		if _, err := r.Sign(ctx, s, nil); err != nil {
			return fmt.Errorf("%s: %w", holders[i], err)
		}
	}
	if _, err := verify.Root(r, verify.Options{}); err != nil { // as any client will
		return err
	}
	// The rest of the release: targets listing one example file, signed by
	// the keyholders; snapshot and timestamp, signed by the online key.
	t, err := repository.NewTargets(repository.TopLevelTargets, 1, time.Now().AddDate(0, 3, 0))
	if err != nil {
		return err
	}
	example, err := t.AddTarget("example.txt", []byte("Replace me with your CA certificate, log key, ...\n"),
		[]byte(`{"sigstore":{"usage":"Example","status":"Active"}}`))
	if err != nil {
		return err
	}
	targets, err := signed(ctx, r, root.RoleTargets, t, signers...)
	if err != nil {
		return err
	}
	snap, err := repository.NewSnapshot(1, time.Now().AddDate(0, 0, 7), t)
	if err != nil {
		return err
	}
	snapshot, err := signed(ctx, r, root.RoleSnapshot, snap, online)
	if err != nil {
		return err
	}
	ts, err := repository.NewTimestamp(1, time.Now().AddDate(0, 0, 1), snap) // names the signed snapshot
	if err != nil {
		return err
	}
	timestamp, err := signed(ctx, r, root.RoleTimestamp, ts, online)
	if err != nil {
		return err
	}
	rootFiles, err := repository.RootFiles(r) // 1.root.json and root.json
	if err != nil {
		return err
	}
	// Each file atomic, targets first and timestamp.json last: the
	// repository is valid for clients at every step.
	if err := repository.WriteDir(*out, append(rootFiles, example, targets, snapshot, timestamp)...); err != nil {
		return err
	}
	digest, err := r.Digest()
	fmt.Fprintf(stdout, "wrote %s: 2 of 3 keyholders (%s), expires %s\nannounce its SHA-256: %s\n",
		filepath.Join(*out, "1.root.json"), strings.Join(holders, ", "), r.Expires().Format(time.DateOnly), digest)
	fmt.Fprintf(stdout, "wrote root.json, %s, 1.targets.json, 1.snapshot.json, timestamp.json\n", example.Name)
	return err
}

// signed signs m with each signer under the keys the root gives role, and
// returns m's file.
func signed(ctx context.Context, r *root.Root, role root.Role, m interface {
	Sign(context.Context, signer.Signer, []root.Key) error
	File() (repository.File, error)
}, signers ...signer.Signer) (repository.File, error) {
	rk, _ := r.Role(role)
	for _, s := range signers {
		if err := m.Sign(ctx, s, rk.Keys); err != nil {
			return repository.File{}, err
		}
	}
	return m.File()
}

// token returns a keyholder's signer: a fake token derived from the name,
// or the key in slot 9c of the YubiKey with that serial, unlocked with a PIN.
func token(ctx context.Context, holder, serial string) (signer.Signer, error) {
	if serial == "" {
		return fake.New(holder), nil // INSECURE: anyone can derive this key
	}
	n, err := strconv.ParseUint(serial, 10, 32)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("-piv: %q is not a YubiKey serial number", serial)
	}
	s, err := piv.New(ctx, piv.Options{Serial: uint32(n), PIN: func(context.Context) ([]byte, error) {
		fmt.Fprintf(os.Stderr, "PIN for %s's YubiKey %d (touch it after): ", holder, n)
		defer fmt.Fprintln(os.Stderr)
		return term.ReadPassword(int(os.Stdin.Fd())) // never a flag or env var
	}})
	if err != nil {
		return nil, fmt.Errorf("%s's YubiKey %d: %w", holder, n, err)
	}
	return s, nil
}
