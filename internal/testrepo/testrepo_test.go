package testrepo_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/trustroot/trustroot/internal/testrepo"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/verify"
)

// TestPublishVerifies: what the package publishes verifies with package
// verify, through rotations and a delegation change, and its forged
// timestamps are what they claim to be.
func TestPublishVerifies(t *testing.T) {
	r, err := testrepo.New(t.TempDir(), "self-test", time.Now().AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	steps := []error{
		r.AddTarget("a.txt", []byte("a"), `{"x":1}`),
		r.Delegate("team", false, "team/*"),
		r.AddDelegatedTarget("team", "team/b.txt", []byte("b"), ""),
		r.Publish(),
		r.RotateRootKey(),
		r.RotateOnlineKey(root.RoleTimestamp),
		r.RotateDelegationKey("team"),
		r.Publish(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	trusted, err := root.Parse(r.RootFile(1))
	if err != nil {
		t.Fatal(err)
	}
	fsys := os.DirFS(r.Dir)
	repo, err := verify.Repository(trusted, fsys, nil, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if repo.Root().Version() != 3 || repo.Timestamp().Version() != 2 || r.TimestampVersion != 2 {
		t.Errorf("root v%d, timestamp v%d", repo.Root().Version(), repo.Timestamp().Version())
	}
	tg, err := repo.Target("team/b.txt", verify.FSLoader(fsys))
	if err != nil || tg.Role != "team" {
		t.Fatalf("team/b.txt: %+v, %v", tg, err)
	}
	if got, _ := r.ReadFile(tg.Path(true)); string(got) != "b" {
		t.Errorf("team/b.txt published as %q", got)
	}

	state := repo.State()
	if err := r.ForgeTimestamp(1, r.Signer(root.RoleTimestamp)); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Repository(trusted, fsys, &state, verify.Options{}); !errors.Is(err, verify.ErrRollback) {
		t.Errorf("a forged timestamp v1: %v", err)
	}
	if err := r.ForgeTimestamp(3, r.Signer(root.RoleSnapshot)); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.Repository(trusted, fsys, &state, verify.Options{}); !errors.Is(err, verify.ErrThreshold) {
		t.Errorf("a timestamp signed by the snapshot key: %v", err)
	}
}
