package root

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"
	"slices"
	"time"
)

// Lint warning codes.
const (
	// LintThresholdNotMajority: a role's threshold is not more than half
	// of its distinct keys, so two disjoint groups could each meet it.
	LintThresholdNotMajority = "threshold-not-majority"
	// LintThresholdUnreachable: a role's threshold is more than its
	// distinct keys.
	LintThresholdUnreachable = "threshold-unreachable"
	// LintRootKeyOnline: a root key also holds the snapshot or timestamp
	// role, whose keys are usually online.
	LintRootKeyOnline = "root-key-online"
	// LintExpired: the root has expired.
	LintExpired = "expired"
	// LintExpiresSoon: the root expires sooner than MinExpiry.
	LintExpiresSoon = "expiry-too-close"
	// LintExpiresLate: the root expires later than MaxExpiry.
	LintExpiresLate = "expiry-too-far"
	// LintSingleHolder: one keyholder holds enough of a role's keys to
	// meet its threshold alone.
	LintSingleHolder = "single-holder-meets-threshold"
	// LintCurveScheme: an ECDSA key's curve does not match its scheme.
	LintCurveScheme = "curve-scheme-mismatch"
	// LintKeyIDMismatch: a key ID is not the SHA-256 of its key object.
	LintKeyIDMismatch = "keyid-mismatch"
	// LintUnsupportedKey: a key's type or scheme is unknown, or its
	// public value cannot be used, so it can never sign.
	LintUnsupportedKey = "unsupported-key"
	// LintPrivateKeyPublished: a key object has a non-empty
	// keyval.private, so its private key may be public: replace the key.
	LintPrivateKeyPublished = "private-key-published"
)

// Lint returns the warnings a ceremony wants before anyone signs: a
// threshold that is not a majority of a role's keys (or cannot be met),
// root keys shared with the online snapshot or timestamp roles, an expiry
// too close or too far, one keyholder (by [Key.Holder]) holding enough
// keys to meet a threshold of 2 or more, ECDSA keys whose curve does not
// match their scheme, key IDs that do not match their content, keys that
// cannot verify signatures, and key objects that publish a private key (a
// non-empty keyval.private).
// Warnings come in a stable order; Code values are the Lint* constants.
func Lint(r *Root, opts LintOptions) []Warning {
	if !r.ok() {
		return nil
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	minExp := opts.MinExpiry
	if minExp == 0 {
		minExp = 30 * 24 * time.Hour
	}
	maxExp := opts.MaxExpiry
	if maxExp == 0 {
		maxExp = 366 * 24 * time.Hour
	}
	var out []Warning
	add := func(code, format string, args ...any) {
		out = append(out, Warning{Code: code, Message: fmt.Sprintf(format, args...)})
	}

	for _, role := range TopLevelRoles() {
		rk, _ := r.Role(role)
		distinct := map[string]bool{}
		for _, k := range rk.Keys {
			if k.Unsupported() == "" {
				distinct[k.Fingerprint()] = true
			}
		}
		n := len(distinct)
		switch {
		case rk.Threshold > n:
			add(LintThresholdUnreachable, "role %s needs %d signatures but has only %d distinct usable keys", role, rk.Threshold, n)
		case 2*rk.Threshold <= n:
			add(LintThresholdNotMajority, "role %s threshold %d is not a majority of its %d keys", role, rk.Threshold, n)
		}
	}

	online := map[string]bool{}
	for _, role := range []Role{RoleSnapshot, RoleTimestamp} {
		for _, k := range r.roleKeys(role) {
			if k.Unsupported() == "" {
				online[k.Fingerprint()] = true
			}
		}
	}
	for _, k := range r.roleKeys(RoleRoot) {
		if online[k.Fingerprint()] {
			add(LintRootKeyOnline, "root key %s also signs for the snapshot or timestamp role", shortID(k.ID()))
		}
	}

	exp := r.Expires()
	switch {
	case !exp.After(now):
		add(LintExpired, "the root expired at %s", exp.UTC().Format(time.RFC3339))
	case exp.Sub(now) < minExp:
		add(LintExpiresSoon, "the root expires at %s, in less than %s", exp.UTC().Format(time.RFC3339), minExp)
	case exp.Sub(now) > maxExp:
		add(LintExpiresLate, "the root expires at %s, more than %s from now", exp.UTC().Format(time.RFC3339), maxExp)
	}

	for _, role := range TopLevelRoles() {
		rk, _ := r.Role(role)
		if rk.Threshold < 2 {
			continue
		}
		byHolder := map[string]map[string]bool{}
		for _, k := range r.roleKeys(role) {
			h := k.Holder()
			if h == "" || k.Unsupported() != "" {
				continue
			}
			if byHolder[h] == nil {
				byHolder[h] = map[string]bool{}
			}
			byHolder[h][k.Fingerprint()] = true
		}
		holders := make([]string, 0, len(byHolder))
		for h := range byHolder {
			holders = append(holders, h)
		}
		slices.Sort(holders)
		for _, h := range holders {
			if n := len(byHolder[h]); n >= rk.Threshold {
				add(LintSingleHolder, "keyholder %q holds %d keys of role %s, enough to meet its threshold of %d alone", h, n, role, rk.Threshold)
			}
		}
	}

	for _, k := range r.Keys() {
		if ek, ok := k.Public().(*ecdsa.PublicKey); ok {
			want := ""
			switch ek.Curve {
			case elliptic.P256():
				want = "ecdsa-sha2-nistp256"
			case elliptic.P384():
				want = "ecdsa-sha2-nistp384"
			case elliptic.P521():
				want = "ecdsa-sha2-nistp521"
			}
			if k.Scheme() != want {
				add(LintCurveScheme, "key %s is a %s key but has scheme %s (want %s)", shortID(k.ID()), ek.Curve.Params().Name, k.Scheme(), want)
			}
		}
	}
	for _, k := range r.Keys() {
		if !k.IDMatchesContent() {
			add(LintKeyIDMismatch, "key ID %s is not the SHA-256 of its key object", shortID(k.ID()))
		}
	}
	for _, k := range r.Keys() {
		if why := k.Unsupported(); why != "" {
			add(LintUnsupportedKey, "key %s can never sign: %s", shortID(k.ID()), why)
		}
	}
	for _, k := range r.Keys() {
		if k.publishesPrivate() {
			add(LintPrivateKeyPublished, "key %s has a non-empty keyval.private: treat its private key as leaked and replace the key", shortID(k.ID()))
		}
	}
	return out
}
