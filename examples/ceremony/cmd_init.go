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
	f := newFlags(e, "init", "[-C DIR] [-name NAME] [-threshold N] [-online-signers ROLE=SIGNER,...] [-attestation-roots yubico|fake|rehearsal:FILE|FILE]")
	dir := repoFlag(f)
	name := f.String("name", "ceremony", "a name for this root of trust")
	thr := f.Int("threshold", 3, "root threshold")
	rootDays := f.Int("root-expires-days", 180, "root expiry period in days")
	tgtDays := f.Int("targets-expires-days", 90, "targets expiry period in days")
	snapDays := f.Int("snapshot-expires-days", 14, "snapshot expiry period in days")
	tsDays := f.Int("timestamp-expires-days", 7, "timestamp expiry period in days")
	online := f.String("online-signers", "", "online signers, `ROLE=SIGNER[,ROLE=SIGNER...]` with SIGNER a KMS URI or fake:NAME (default fake:<name>-<role> for each role)")
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
	if *online != "" {
		for _, kv := range strings.Split(*online, ",") {
			role, s, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || days[role] == 0 && role != "targets" && role != "snapshot" && role != "timestamp" {
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
			signers[role] = append(signers[role], s)
		}
	}
	for _, role := range onlineRoles {
		s := signers[role]
		if len(s) == 0 {
			s = []string{"fake:" + *name + "-" + role}
		}
		p.Online[role] = OnlineRole{Signers: s, Threshold: 1, ExpiresDays: days[role]}
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
	r := openRepo(e, *dir)
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
	return nil
}
