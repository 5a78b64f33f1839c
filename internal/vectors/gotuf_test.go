package vectors

// go-tuf's judgement of every corpus case, compared with the case's
// "gotuf" field: "agree" means go-tuf accepts exactly when the case
// expects "valid"; "stricter: ..." means trustroot rejects what go-tuf
// accepts; "lenient: ..." the reverse.

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
)

// goTUFChain walks a chain case with trustedmetadata.New and UpdateRoot,
// then checks the final root's expiry as go-tuf's UpdateTimestamp does.
func goTUFChain(c *Case) error {
	data, err := c.Read(c.Trusted)
	if err != nil {
		return err
	}
	tm, err := trustedmetadata.New(data)
	if err != nil {
		return fmt.Errorf("New: %w", err)
	}
	for _, step := range c.Steps {
		data, err := c.Read(step)
		if err != nil {
			return err
		}
		if _, err := tm.UpdateRoot(data); err != nil {
			return fmt.Errorf("UpdateRoot(%s): %w", step, err)
		}
	}
	if tm.Root.Signed.IsExpired(c.At) {
		return fmt.Errorf("final root: %w", &metadata.ErrExpiredMetadata{Msg: "final root.json is expired"})
	}
	return nil
}

// goTUFRepository runs go-tuf's client workflow over a repository case
// with trustedmetadata (root chain, timestamp, snapshot, targets, delegated
// targets at the case's reference time) and looks the target up with the
// same pre-order walk as go-tuf's updater (visited set, terminating
// delegations, at most 32 roles). The updater itself is not used because it
// needs a network fetcher and a module this package does not depend on.
func goTUFRepository(c *Case) error {
	read := func(role string) ([]byte, error) {
		fn, ok := c.Files[role]
		if !ok {
			return nil, fmt.Errorf("no file for role %q", role)
		}
		return c.Read(fn)
	}
	data, err := c.Read(c.Trusted)
	if err != nil {
		return err
	}
	tm, err := trustedmetadata.New(data)
	if err != nil {
		return fmt.Errorf("New: %w", err)
	}
	tm.RefTime = c.At
	for _, step := range c.Steps {
		data, err := c.Read(step)
		if err != nil {
			return err
		}
		if _, err := tm.UpdateRoot(data); err != nil {
			return fmt.Errorf("UpdateRoot(%s): %w", step, err)
		}
	}
	for _, role := range []string{"timestamp", "snapshot", "targets"} {
		data, err := read(role)
		if err != nil {
			return err
		}
		switch role {
		case "timestamp":
			_, err = tm.UpdateTimestamp(data)
		case "snapshot":
			_, err = tm.UpdateSnapshot(data, false)
		case "targets":
			_, err = tm.UpdateTargets(data)
		}
		if err != nil {
			return fmt.Errorf("Update %s: %w", role, err)
		}
	}
	if c.Target == "" {
		return nil
	}
	type visit struct{ role, parent string }
	stack := []visit{{"targets", "root"}}
	visited := map[string]bool{}
	for len(visited) <= 32 && len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[v.role] {
			continue
		}
		md := tm.Targets[v.role]
		if md == nil {
			data, err := read(v.role)
			if err != nil {
				return err
			}
			if md, err = tm.UpdateDelegatedTargets(data, v.role, v.parent); err != nil {
				return fmt.Errorf("UpdateDelegatedTargets(%s): %w", v.role, err)
			}
		}
		if tf, ok := md.Signed.Targets[c.Target]; ok {
			if c.TargetSHA256 != "" {
				want, _ := hex.DecodeString(c.TargetSHA256)
				if !bytes.Equal(tf.Hashes["sha256"], want) {
					return fmt.Errorf("found the entry of another role (sha256 %x)", []byte(tf.Hashes["sha256"]))
				}
			}
			return nil
		}
		visited[v.role] = true
		if md.Signed.Delegations != nil {
			var children []visit
			for _, r := range md.Signed.Delegations.GetRolesForTarget(c.Target) {
				children = append(children, visit{r.Name, v.role})
				if r.Terminating {
					stack = nil
					break
				}
			}
			slices.Reverse(children)
			stack = append(stack, children...)
		}
	}
	return fmt.Errorf("target %s not found", c.Target)
}

func goTUF(c *Case) error {
	if c.Kind == KindChain {
		return goTUFChain(c)
	}
	return goTUFRepository(c)
}

// checkGoTUF runs go-tuf on the case and checks the case's "gotuf"
// claim against what trustroot actually decided (weAccept).
func checkGoTUF(t *testing.T, c *Case, weAccept bool) {
	t.Helper()
	err := goTUF(c)
	goAccepts := err == nil
	switch c.GoTUFMode() {
	case "agree":
		if goAccepts != weAccept {
			t.Errorf("go-tuf should agree (trustroot accepts: %v), but go-tuf returned %v", weAccept, err)
		}
	case "stricter":
		if weAccept || !goAccepts {
			t.Errorf("trustroot should be stricter than go-tuf (%s): trustroot accepts %v, go-tuf returned %v", c.GoTUF, weAccept, err)
		}
	case "lenient":
		if !weAccept || goAccepts {
			t.Errorf("trustroot should be more lenient than go-tuf (%s): trustroot accepts %v, go-tuf returned %v", c.GoTUF, weAccept, err)
		}
	case "n/a":
		t.Logf("not compared with go-tuf: %s", c.GoTUF)
	}
	if err != nil {
		t.Logf("go-tuf: %v", err)
	}
}
