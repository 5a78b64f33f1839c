package verify

import (
	"fmt"
	"time"

	"github.com/trustroot/trustroot/internal/link"
	"github.com/trustroot/trustroot/internal/tufmeta"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
)

// Targets verifies top-level targets metadata against the trusted root's
// targets role: a threshold of distinct keys signed it and it has not
// expired at opts.Now. The file is read to its canonical bytes and its
// signatures checked before any model of it is built. It does not check
// the version against a snapshot; a [Repo] does.
func Targets(trusted *root.Root, data []byte, opts Options) (*repository.Targets, error) {
	if trusted == nil {
		return nil, fmt.Errorf("verify: %w: nil trusted root", root.ErrMalformed)
	}
	rk, _ := trusted.Role(root.RoleTargets)
	req := requirement{name: fmt.Sprintf("targets role of root v%d", trusted.Version()), version: trusted.Version(), keys: verifiers(rk.Keys), threshold: rk.Threshold}
	return verifyTargets(root.RoleTargets, req, data, opts.Limits.targets(), opts.now(), nil, nil)
}

// Delegated verifies the metadata of role, which delegator delegates to:
// a threshold of distinct keys the delegation lists signed it, and it has
// not expired at opts.Now. The role is trusted only for the target paths
// the delegation covers, so the result lists only those targets; if it
// had to drop any, it is no longer the file that was signed and has no
// signatures.
func Delegated(delegator *repository.Targets, role root.Role, data []byte, opts Options) (*repository.Targets, error) {
	if delegator == nil {
		return nil, fmt.Errorf("verify: %w: nil delegator", root.ErrMalformed)
	}
	d, ok := delegation(delegator, role)
	if !ok {
		return nil, located(role, 0, "", fmt.Errorf("%w: %s does not delegate to %q", root.ErrMalformed, delegator.Role(), role))
	}
	return verifyDelegated(delegator.Role(), d, data, opts.Limits.targets(), opts.now())
}

func delegation(delegator *repository.Targets, role root.Role) (repository.Delegation, bool) {
	for _, d := range delegator.Delegations() {
		if d.Name == role {
			return d, true
		}
	}
	return repository.Delegation{}, false
}

func verifyDelegated(delegator root.Role, d repository.Delegation, data []byte, max int, now time.Time) (*repository.Targets, error) {
	req := requirement{name: fmt.Sprintf("%s (delegated by %s)", d.Name, delegator), keys: verifiers(d.Keys), threshold: d.Threshold}
	return verifyTargets(d.Name, req, data, max, now, &d, nil)
}

// verifyTargets verifies targets metadata of role against req: the
// envelope, the threshold, then the model, its expiry, and the scope of a
// delegation when scope is not nil. spec (may be nil) holds checks made
// ahead of need (see checkThreshold).
func verifyTargets(role root.Role, req requirement, data []byte, max int, now time.Time, scope *repository.Delegation, spec *speculation) (*repository.Targets, error) {
	env, err := tufmeta.ParseEnvelope(data, tufmeta.TypeTargets, max)
	if err != nil {
		return nil, located(role, 0, "", err)
	}
	if err := checkThreshold(role, env.Version, req, env.Signed, envelopeSigs(env.Signatures), spec); err != nil {
		return nil, located(role, env.Version, "", err)
	}
	x, err := link.Targets(string(role), env)
	if err != nil {
		return nil, located(role, env.Version, "", err)
	}
	t := x.(*repository.Targets)
	if !now.Before(t.Expires()) {
		return nil, &ExpiredError{Role: role, Version: t.Version(), Expires: t.Expires(), Now: now}
	}
	if scope != nil {
		for _, tg := range t.Targets() {
			if !scope.Matches(tg.Name) {
				t.RemoveTarget(tg.Name)
			}
		}
	}
	return t, nil
}
