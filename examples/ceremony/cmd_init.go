package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

func cmdInit(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "init", "-online-signers targets=SIGNER,snapshot=SIGNER,timestamp=SIGNER|fake [-C DIR] [-name NAME] [-threshold N] [-attestation-roots yubico|fake|rehearsal:FILE|FILE]")
	dir := repoFlag(f)
	name := f.String("name", "ceremony", "a name for this root of trust")
	thr := f.Int("threshold", 3, "root threshold")
	rootDays := f.Int("root-expires-days", 180, "root expiry period in days")
	tgtDays := f.Int("targets-expires-days", 90, "targets expiry period in days")
	snapDays := f.Int("snapshot-expires-days", 14, "snapshot expiry period in days")
	tsDays := f.Int("timestamp-expires-days", 7, "timestamp expiry period in days")
	online := f.String("online-signers", "", "the online roles' signers (required): `ROLE=SIGNER,...` for each of targets, snapshot and timestamp, SIGNER a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://) or pem:FILE; or fake for a demo's INSECURE fake:NAME keys")
	att := f.String("attestation-roots", "yubico", "attestation roots for enrolment: yubico, fake (the fake tokens' test CA), rehearsal:FILE (the YubiKey simulator's rehearsal CA, for a rehearsal) or a PEM `file`")
	force := f.Bool("force", false, "overwrite an existing ceremony.json")
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	if err := checkName("ceremony", *name); err != nil {
		return usageErr("%v", err)
	}
	p := &Policy{
		Format:           formatName,
		Name:             *name,
		Root:             RolePolicy{Threshold: *thr, ExpiresDays: *rootDays},
		Online:           map[string]OnlineRole{},
		AttestationRoots: *att,
	}
	days := map[string]int{"targets": *tgtDays, "snapshot": *snapDays, "timestamp": *tsDays}
	signers := map[string][]string{}
	switch *online {
	case "":
		return usageErr("-online-signers is required: targets=SIGNER,snapshot=SIGNER,timestamp=SIGNER with KMS URIs (awskms://, gcpkms://, azurekms://, hashivault://) or pem:FILE, or -online-signers fake for a demo")
	case "fake":
		for _, role := range onlineRoles {
			signers[role] = []string{specFake + *name + "-" + role}
		}
	default:
		for _, kv := range strings.Split(*online, ",") {
			role, s, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if _, known := days[role]; !ok || !known {
				return usageErr("-online-signers: %q is not ROLE=SIGNER with ROLE targets, snapshot or timestamp", kv)
			}
			if s == "" {
				return usageErr("-online-signers: %s has no signer", role)
			}
			// ceremony.json lives in git: no credentials in it. KMS
			// clients take them from the environment.
			if redactURI(s) != s {
				return usageErr("-online-signers: the %s signer %s carries credentials or parameters (user info, a query or a fragment); ceremony.json is published, so give the KMS credentials through the environment", role, redactURI(s))
			}
			if err := checkOnlineSpec(s); err != nil {
				return usageErr("-online-signers: %v", err)
			}
			signers[role] = append(signers[role], s)
		}
		// Every role is named: a role left out is never given a fake key
		// behind the user's back.
		var missing []string
		for _, role := range onlineRoles {
			if len(signers[role]) == 0 {
				missing = append(missing, role)
			}
		}
		if len(missing) > 0 {
			return usageErr("-online-signers names no signer for %s: give every online role its signer (the same one may sign several roles)", strings.Join(missing, " and "))
		}
	}
	for _, role := range onlineRoles {
		p.Online[role] = OnlineRole{Signers: signers[role], Threshold: 1, ExpiresDays: days[role]}
	}
	if fakes := p.fakeOnline(); len(fakes) > 0 && (*att == "yubico" || *att == "") {
		return usageErr("the fake online signers (%s) are INSECURE keys for demos, but -attestation-roots %s is for a real ceremony: use KMS keys or pem:FILE, or -attestation-roots fake for a demo", strings.Join(fakes, ", "), *att)
	}
	if err := p.validate(); err != nil {
		return usageErr("%v", err)
	}
	if *att != "yubico" && *att != "fake" {
		// A PEM file of roots: check it now, not at the first enrolment.
		if _, _, err := attestationPools(*att, ""); err != nil {
			return err
		}
	}
	if isRehearsal(*att) {
		e.printf("REHEARSAL: enrolments will be attested by the YubiKey simulator's rehearsal CA (%s), whose key is public; this ceremony cannot make a real root.\n", *att)
	}
	r, err := openRepoForInit(e, *dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(r.path(policyFile)); err == nil && !*force {
		return fmt.Errorf("ceremony: %s already exists (use -force to overwrite)", r.path(policyFile))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ceremony: %w", err)
	}
	if err := r.writeJSON(policyFile, p); err != nil {
		return err
	}
	e.printf("Created %s: root %d-of-N, expires every %d days; online roles signed by %s, %s, %s.\n",
		r.path(policyFile), p.Root.Threshold, p.Root.ExpiresDays,
		strings.Join(p.Online["targets"].Signers, " "), strings.Join(p.Online["snapshot"].Signers, " "), strings.Join(p.Online["timestamp"].Signers, " "))
	if fakes := p.fakeOnline(); len(fakes) > 0 {
		e.printf("Warning: the online roles are signed by fake, INSECURE keys (%s) that anyone can recompute: for demos and tests only.\n", strings.Join(fakes, ", "))
	}
	for _, r := range onlineRoles {
		for _, s := range p.Online[r].Signers {
			if specKind(s) == "pem" {
				e.printf("Note: the %s key is the file %s: it is only as safe as that file; keep it outside this repository.\n", r, strings.TrimPrefix(s, specPEM))
			}
		}
	}
	return nil
}
