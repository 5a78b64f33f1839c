package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/trustroot/trustroot/signer"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/signer/pemfile"
	"github.com/trustroot/trustroot/signer/piv"
	"github.com/trustroot/trustroot/signer/sigstore"
)

// A signer spec names where the private key of an online role (targets,
// snapshot, timestamp) or of a delegated role is:
//
//	awskms://..., gcpkms://..., azurekms://..., hashivault://...
//	                a key in a cloud KMS (sigstore's URI forms); the
//	                provider takes its credentials from the environment
//	pem:FILE        a PEM private key file, plain or encrypted the way
//	                cosign writes them; the passphrase is read from a
//	                file descriptor (-passphrase-fd) or a prompt
//	piv[:SERIAL]    slot 9c of a YubiKey (delegated roles only: an online
//	                role is signed by a scheduled job, with nobody to
//	                type a PIN)
//	fake:NAME       a deterministic, INSECURE key derived from NAME, for
//	                demos and tests
const (
	specFake = "fake:"
	specPEM  = "pem:"
	specPIV  = "piv"
)

// kmsSchemes are the KMS URI schemes the tool links a provider for.
var kmsSchemes = []string{"awskms", "gcpkms", "azurekms", "hashivault"}

// specKind classifies a signer spec: "fake", "pem", "piv", "kms", or ""
// for something that is none of them.
func specKind(spec string) string {
	switch {
	case strings.HasPrefix(spec, specFake):
		return "fake"
	case strings.HasPrefix(spec, specPEM):
		return "pem"
	case spec == specPIV || strings.HasPrefix(spec, specPIV+":"):
		return "piv"
	case strings.Contains(spec, "://"):
		return "kms"
	}
	return ""
}

// checkOnlineSpec refuses a spec that cannot sign an online role.
func checkOnlineSpec(spec string) error {
	switch specKind(spec) {
	case "fake":
		if strings.TrimPrefix(spec, specFake) == "" {
			return fmt.Errorf("online signer %q has no name", spec)
		}
	case "pem":
		if strings.TrimPrefix(spec, specPEM) == "" {
			return fmt.Errorf("online signer %q names no file", spec)
		}
	case "kms":
	case "piv":
		return fmt.Errorf("online signer %q: an online role is signed by a scheduled job, not a YubiKey; use a KMS key (%s://...) or pem:FILE", spec, strings.Join(kmsSchemes, "://..., "))
	default:
		return fmt.Errorf("online signer %q is neither a KMS URI (%s://...), pem:FILE nor fake:NAME", spec, strings.Join(kmsSchemes, "://..., "))
	}
	return nil
}

// signerFlags are the flags of a command that opens online or delegated
// signers: where a key file's passphrase and a YubiKey's PIN come from.
type signerFlags struct {
	passphraseFD int
	pinFD        int
	forceLast    bool
}

// addSignerFlags adds -passphrase-fd to f, and with piv the YubiKey
// flags; the signers the command opens use them.
func addSignerFlags(f *flag.FlagSet, e *env, piv bool) *signerFlags {
	sf := &signerFlags{pinFD: -1}
	e.sflags = sf
	f.IntVar(&sf.passphraseFD, "passphrase-fd", -1, "read the passphrase of an encrypted pem:FILE key from this inherited file `descriptor` instead of prompting")
	if piv {
		f.IntVar(&sf.pinFD, "pin-fd", -1, "piv: read the YubiKey's PIN from this inherited file `descriptor` instead of prompting")
		f.BoolVar(&sf.forceLast, "force-last-pin-try", false, "piv: allow a PIN attempt when only one try is left (a wrong PIN then blocks the token)")
	}
	return sf
}

// openSigner opens the signer a spec names. Signers are opened once per
// command and kept, so a key file's passphrase is read once however many
// roles the key signs. The close function releases a YubiKey.
func (e *env) openSigner(ctx context.Context, spec string) (signer.Signer, error) {
	sf := e.sflags
	if sf == nil {
		sf = &signerFlags{passphraseFD: -1, pinFD: -1}
	}
	if s, ok := e.opened[spec]; ok {
		return s, nil
	}
	var s signer.Signer
	switch specKind(spec) {
	case "fake":
		name := strings.TrimPrefix(spec, specFake)
		if name == "" {
			return nil, fmt.Errorf("ceremony: signer %q has no name", spec)
		}
		s = fake.New("ceremony-online-" + name)
	case "pem":
		k, err := e.openPEM(ctx, strings.TrimPrefix(spec, specPEM), sf)
		if err != nil {
			return nil, err
		}
		s = k
	case "piv":
		k, err := e.openPIV(ctx, spec, sf)
		if err != nil {
			return nil, err
		}
		s = k
	case "kms":
		// A provider that cannot reach its service may retry for a long
		// time; the signing timeout bounds opening the key too.
		octx, cancel := context.WithTimeout(ctx, e.timeout())
		k, err := sigstore.LoadKMS(octx, spec)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("ceremony: signer %s: %w", redactURI(spec), err)
		}
		s = k
	default:
		return nil, fmt.Errorf("ceremony: signer %q is neither a KMS URI (%s://...), pem:FILE, piv[:SERIAL] nor fake:NAME", redactURI(spec), strings.Join(kmsSchemes, "://..., "))
	}
	if e.wrapSigner != nil {
		s = e.wrapSigner(spec, s)
	}
	if e.opened == nil {
		e.opened = map[string]signer.Signer{}
	}
	e.opened[spec] = s
	return s, nil
}

// closeSigners releases what openSigner opened (YubiKeys).
func (e *env) closeSigners() {
	for spec, s := range e.opened {
		if c, ok := s.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		delete(e.opened, spec)
	}
}

// maxKeyFile bounds a PEM private key file.
const maxKeyFile = 64 << 10

// openPEM loads a PEM private key file. An encrypted one is decrypted with
// a passphrase read from -passphrase-fd or a prompt, never from a flag or
// the environment.
func (e *env) openPEM(ctx context.Context, file string, sf *signerFlags) (signer.Signer, error) {
	data, err := readBounded(file, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("ceremony: reading key file %s: %w", filepath.ToSlash(file), err)
	}
	defer clear(data)
	s, err := pemfile.Load(data, nil)
	if errors.Is(err, signer.ErrWrongPassword) {
		var pass []byte
		pass, err = pinSource(e, sf.passphraseFD, "passphrase of "+filepath.ToSlash(file))(ctx)
		if err != nil {
			return nil, err
		}
		s, err = pemfile.Load(data, pass)
		clear(pass)
	}
	if err != nil {
		return nil, fmt.Errorf("ceremony: key file %s: %w", filepath.ToSlash(file), err)
	}
	return s, nil
}

// openPIV opens slot 9c of a YubiKey (piv or piv:SERIAL). Its PIN is asked
// for only when it signs, after the key was found among the role's keys.
func (e *env) openPIV(ctx context.Context, spec string, sf *signerFlags) (signer.Signer, error) {
	var serial uint64
	if s, ok := strings.CutPrefix(spec, specPIV+":"); ok {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n == 0 {
			return nil, usageErr("%q: %q is not a YubiKey serial number", spec, s)
		}
		serial = n
	}
	s, err := piv.New(ctx, piv.Options{Serial: uint32(serial), PIN: pinSource(e, sf.pinFD, "PIN of the YubiKey"), ForceLastPINTry: sf.forceLast,
		Touch: func() { fmt.Fprintln(e.stderr, "Touch the YubiKey now.") }})
	if err != nil {
		return nil, fmt.Errorf("ceremony: opening the YubiKey: %w", err)
	}
	return s, nil
}

// onlineSigner opens an online role's signer.
func (e *env) onlineSigner(ctx context.Context, spec string) (signer.Signer, error) {
	if err := checkOnlineSpec(spec); err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return e.openSigner(ctx, spec)
}

// redactURI drops any user information or query from a KMS URI before it
// is printed (a hashivault:// URI could carry a token).
func redactURI(spec string) string {
	if i := strings.IndexAny(spec, "?#"); i >= 0 {
		spec = spec[:i]
	}
	if scheme, rest, ok := strings.Cut(spec, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		return scheme + "://" + rest
	}
	return spec
}
