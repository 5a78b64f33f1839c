package vectors

// The corpus table test: every case runs against trustroot's root and
// verify packages, and the verdict is asserted with errors.Is.

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// sentinels maps each verdict to the errors that express it; an error
// matches the verdict when errors.Is holds for one of them.
func sentinels(verdict string) []error {
	switch verdict {
	case Parse:
		return []error{root.ErrMalformed, verify.ErrTooLarge}
	case Threshold:
		return []error{verify.ErrThreshold}
	case Version:
		return []error{verify.ErrVersion}
	case Expired:
		return []error{verify.ErrExpired}
	case NotFound:
		return []error{verify.ErrTargetNotFound}
	case Mismatch:
		return []error{repository.ErrHashMismatch, repository.ErrLengthMismatch}
	case TooLarge:
		return []error{verify.ErrTooLarge}
	case Missing:
		return []error{verify.ErrMissing}
	case BadTarget:
		return []error{root.ErrMalformed}
	}
	return nil
}

// runChain parses the trusted root and walks the case's steps.
func runChain(c *Case) (*verify.ChainResult, error) {
	data, err := c.Read(c.Trusted)
	if err != nil {
		return nil, err
	}
	trusted, err := root.Parse(data)
	if err != nil {
		return nil, err
	}
	var steps [][]byte
	for _, s := range c.Steps {
		data, err := c.Read(s)
		if err != nil {
			return nil, err
		}
		steps = append(steps, data)
	}
	return verify.Chain(trusted, steps, verify.Options{Now: c.At})
}

// runRepository verifies the case's directory as an offline repository
// from its trusted root and, when the case names one, looks the target up.
func runRepository(c *Case) (*repository.Target, error) {
	data, err := c.Read(c.Trusted)
	if err != nil {
		return nil, err
	}
	trusted, err := root.Parse(data)
	if err != nil {
		return nil, err
	}
	fsys := os.DirFS(c.Dir())
	repo, err := verify.Repository(trusted, fsys, nil, verify.Options{Now: c.At})
	if err != nil {
		if repo != nil {
			return nil, fmt.Errorf("a repository came with the error %w", err)
		}
		return nil, err
	}
	if c.Target == "" {
		return &repository.Target{}, nil
	}
	tgt, err := repo.Target(c.Target, verify.FSLoader(fsys))
	if err != nil {
		if tgt.Name != "" {
			return nil, fmt.Errorf("target %q came with the error %w", tgt.Name, err)
		}
		return nil, err
	}
	return &tgt, nil
}

// checkVerdict asserts that (ok, err) is the case's expected verdict.
func checkVerdict(t *testing.T, c *Case, ok bool, err error) {
	t.Helper()
	if c.Expect == Valid {
		if err != nil || !ok {
			t.Fatalf("%s: want valid, got %v", c.Reason, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: want %q, but it verified", c.Reason, c.Expect)
	}
	if ok {
		t.Errorf("a result came with the error %v", err)
	}
	for _, s := range sentinels(c.Expect) {
		if errors.Is(err, s) {
			checkTyped(t, c, err)
			return
		}
	}
	t.Fatalf("%s: want %q (errors.Is one of %v), got %v", c.Reason, c.Expect, sentinels(c.Expect), err)
}

// TestCorpusVerify is the corpus table test. It runs every chain case
// through root.Parse and verify.Chain, and every repository case through
// verify.Repository and Repo.Target, and asserts the expected verdict with
// errors.Is. It then runs go-tuf v2.4.2 on the same files and asserts the
// case's "gotuf" claim: agreement, or the named difference.
func TestCorpusVerify(t *testing.T) {
	cases, err := Load(CorpusDir())
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	for _, c := range cases {
		ran[c.Kind]++
		t.Run(c.Name, func(t *testing.T) {
			if c.Kind == KindRepository {
				tgt, err := runRepository(c)
				t.Logf("verify: %v", err)
				checkVerdict(t, c, tgt != nil, err)
				checkGoTUF(t, c, err == nil)
				if err == nil && c.TargetSHA256 != "" && tgt.Hashes["sha256"] != c.TargetSHA256 {
					t.Errorf("found %s in role %s with sha256 %s, want the entry with %s", tgt.Name, tgt.Role, tgt.Hashes["sha256"], c.TargetSHA256)
				}
				return
			}
			res, err := runChain(c)
			t.Logf("verify: %v", err)
			checkVerdict(t, c, res != nil, err)
			checkGoTUF(t, c, err == nil)
			if err == nil {
				last := c.Trusted
				if len(c.Steps) > 0 {
					last = c.Steps[len(c.Steps)-1]
				}
				data, _ := c.Read(last)
				want, perr := root.Parse(data)
				if perr != nil {
					t.Fatalf("the final root parses alone: %v", perr)
				}
				if res.Root.Version() != want.Version() || len(res.Steps) != len(c.Steps)+1 {
					t.Errorf("trusted version %d after %d steps, want version %d after %d", res.Root.Version(), len(res.Steps), want.Version(), len(c.Steps)+1)
				}
			}
		})
	}
	if ran[KindChain] == 0 || ran[KindRepository] == 0 {
		t.Fatalf("cases run by kind: %v", ran)
	}
}

// checkTyped asserts that the verdicts with a typed error carry one, with
// details that make sense.
func checkTyped(t *testing.T, c *Case, err error) {
	t.Helper()
	switch c.Expect {
	case Threshold:
		var te *verify.ThresholdError
		if !errors.As(err, &te) {
			t.Fatalf("%v is not a *verify.ThresholdError", err)
		}
		if te.Threshold >= 1 && te.Valid >= te.Threshold {
			t.Errorf("threshold error with %d of %d valid", te.Valid, te.Threshold)
		}
	case Version:
		var ve *verify.VersionError
		if !errors.As(err, &ve) {
			t.Fatalf("%v is not a *verify.VersionError", err)
		}
		if ve.Got == ve.Want {
			t.Errorf("version error with got == want == %d", ve.Got)
		}
	case Expired:
		var ee *verify.ExpiredError
		if !errors.As(err, &ee) {
			t.Fatalf("%v is not a *verify.ExpiredError", err)
		}
		if !ee.Now.Equal(c.At) || ee.Expires.After(c.At) {
			t.Errorf("expired at %v with reference time %v, case time %v", ee.Expires, ee.Now, c.At)
		}
	}
}
