package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/trustroot/trustroot/signer/piv"
)

func cmdEnroll(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "enroll", "-holder NAME -token piv|fake [-C DIR] [-serial S] [-algorithm A] [-management-key-fd N] [-attestation-roots fake|yubico|rehearsal:FILE|FILE]")
	dir := repoFlag(f)
	holder := f.String("holder", "", "the keyholder's name (required): lower-case letters, digits, '.', '_', '-'")
	tok := tokenFlags(f)
	mgmtFD := f.Int("management-key-fd", -1, "piv: read the management key (hex) from this inherited file `descriptor`")
	defaultMgmt := f.Bool("default-management-key", false, "piv: use the factory default management key (throwaway tokens only)")
	replace := f.Bool("replace-key", false, "piv: overwrite a key already in the slot")
	algName := f.String("algorithm", piv.AlgorithmECP256.String(), "piv: the key `algorithm`: ecdsa-p256, ecdsa-p384 or ed25519 (firmware 5.7 and later)")
	attRoots := f.String("attestation-roots", "", "override ceremony.json's attestation roots: fake, yubico, rehearsal:FILE (simulated YubiKeys) or a PEM `file`")
	yubico := f.String("yubico-roots", "", "PEM `file` of Yubico's published attestation roots, to check PIV attestations in pure Go too")
	force := f.Bool("force", false, "replace an existing keys/NAME.json")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if *holder == "" {
		return usageErr("-holder is required")
	}
	if err := checkName("keyholder", *holder); err != nil {
		return usageErr("%v", err)
	}
	if err := tok.check(); err != nil {
		return err
	}
	alg, ok := pivAlgorithms[*algName]
	if !ok {
		return usageErr("-algorithm %q: want ecdsa-p256, ecdsa-p384 or ed25519", *algName)
	}
	if tok.kind != "piv" && alg != piv.AlgorithmECP256 {
		return usageErr("-algorithm %s applies to -token piv; a fake token holds an ECDSA P-256 key", *algName)
	}
	r := openRepo(e, *dir)
	p, err := r.loadPolicy()
	if err != nil {
		return err
	}
	rel := keysDir + "/" + *holder + ".json"
	if _, err := os.Stat(r.keyPath(*holder)); err == nil && !*force {
		return fmt.Errorf("ceremony: %s is already enrolled (%s); use -force to replace the key", *holder, rel)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ceremony: %w", err)
	}
	spec, from := p.AttestationRoots, "attestation_roots in "+policyFile
	if *attRoots != "" {
		spec, from = *attRoots, "-attestation-roots"
	}
	if tok.kind == "fake" && (spec == "" || spec == "yubico") {
		return fmt.Errorf("ceremony: a fake token's attestation chains to the fake test CA, not to Yubico's roots (%q from %s); pass -attestation-roots fake explicitly to accept it", spec, from)
	}
	roots, inter, err := attestationPools(spec, *yubico)
	if err != nil {
		return err
	}
	if isRehearsal(spec) {
		e.printf("REHEARSAL: attestations must chain to the YubiKey simulator's rehearsal CA (%s from %s); a key enrolled now is not fit for a real root.\n", spec, from)
	}
	en, err := tok.enroll(ctx, e, *holder, alg, roots, func(ctx context.Context) ([]byte, error) {
		p, err := pinSource(e, *mgmtFD, "management key (hex)")(ctx)
		if err != nil {
			return nil, err
		}
		defer clear(p)
		mk, err := hex.DecodeString(strings.TrimSpace(string(p)))
		if err != nil {
			return nil, errors.New("ceremony: the management key is not hex")
		}
		return mk, nil
	}, *defaultMgmt, *replace)
	if err != nil {
		return err
	}
	// The same key or token under two keyholders is legitimate only to
	// move a key to a new name (stage -replace OLD=NEW); a root lists a
	// key once, so say so now rather than let stage fail on a key ID.
	others, err := r.loadKeys()
	if err != nil {
		return err
	}
	for _, k := range others {
		switch {
		case k.Holder == *holder:
		case k.Fingerprint == fingerprint(en.pub):
			e.printf("Warning: key %s is also enrolled by %s (%s/%s.json). A root lists a key once: stage -replace %s=%s moves it; otherwise each keyholder enrols their own token.\n", shortFP(k.Fingerprint), k.Holder, keysDir, k.Holder, k.Holder, *holder)
		case k.Token == tok.kind && k.Serial == en.serial:
			e.printf("Warning: token %s is also enrolled by %s (%s/%s.json); each keyholder enrols their own token.\n", en.serial, k.Holder, keysDir, k.Holder)
		}
	}
	pubPEM, err := publicKeyPEM(en.pub)
	if err != nil {
		return fmt.Errorf("ceremony: encoding %s's public key: %w", *holder, err)
	}
	kf := &KeyFile{
		Holder:      *holder,
		Token:       tok.kind,
		Serial:      en.serial,
		Slot:        en.slot,
		PublicKey:   pubPEM,
		Fingerprint: fingerprint(en.pub),
		Attestation: &Attestation{
			SlotCertificate:   string(en.slotCert),
			DeviceCertificate: string(en.deviceCert),
			Firmware:          en.firmware,
			PINPolicy:         en.pinPolicy,
			TouchPolicy:       en.touchPolicy,
		},
		Enrolled: formatTime(e.currentTime()),
	}
	// Check the attestation before anything is written: it must chain
	// to a trusted root and attest exactly this key and serial.
	if roots != nil {
		a, err := checkAttestation(kf, roots, inter)
		if err != nil {
			return err
		}
		for _, w := range a.Warnings {
			e.printf("Attestation warning [%s]: %s\n", w.Code, w.Message)
		}
		e.printf("Attestation verified: key generated on token %d (firmware %s, PIN %s, touch %s).\n", a.Serial, a.Firmware, a.PINPolicy, a.TouchPolicy)
	} else {
		e.printf("Attestation verified by the YubiKey driver against Yubico's roots; pass -yubico-roots FILE to check it in pure Go too.\n")
	}
	if err := r.writeJSON(rel, kf); err != nil {
		return err
	}
	e.printf("Enrolled %s: key %s on token %s, written to %s.\n", *holder, fingerprintLabel(kf.Fingerprint), kf.Serial, rel)
	if tok.kind == "fake" {
		e.printf("It is a fake, INSECURE token for demos and tests; the %s.\n", fakePINNote)
	}
	return nil
}
