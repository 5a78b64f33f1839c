package repository_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/repository"
	"github.com/trustroot/trustroot/root"
	"github.com/trustroot/trustroot/signer/fake"
	"github.com/trustroot/trustroot/verify"
)

// TestSnapshotNamesRolesPlainly: snapshot meta entries are "<role>.json",
// the name verify and python-tuf look up, for a role name using every
// punctuation character role names allow.
func TestSnapshotNamesRolesPlainly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const name = "Team.prod-1_x"
	team := fake.New("team")
	teamKey := key(t, team, "team")
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Delegate(repository.Delegation{Name: name, Keys: []root.Key{teamKey}, Threshold: 1, Paths: []string{"team/*"}}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Sign(ctx, f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	dt, err := repository.NewTargets(name, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := dt.AddTarget("team/tool.bin", []byte("tool"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dt.Sign(ctx, team, []root.Key{teamKey}); err != nil {
		t.Fatal(err)
	}
	fsys := f.release(t, 1, []*repository.Targets{tg, dt}, tool)

	v, err := cjson.Decode(fsys["1.snapshot.json"].Data)
	if err != nil {
		t.Fatal(err)
	}
	meta := v.(map[string]any)["signed"].(map[string]any)["meta"].(map[string]any)
	if _, ok := meta[name+".json"]; !ok || len(meta) != 2 {
		t.Fatalf("snapshot meta names %v, want targets.json and %s.json", meta, name)
	}
	repo, err := verify.Repository(f.root, fsys, nil, verify.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.Target("team/tool.bin", verify.FSLoader(fsys))
	if err != nil || got.Role != name {
		t.Fatalf("Target via role %s = %+v, %v", name, got, err)
	}
}

// TestNewSnapshotZeroTargets: a zero Targets is refused, not a panic.
func TestNewSnapshotZeroTargets(t *testing.T) {
	tg, err := repository.NewTargets(repository.TopLevelTargets, 1, expires)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repository.NewSnapshot(1, expires, tg, &repository.Targets{}); !errors.Is(err, repository.ErrInvalid) {
		t.Fatalf("NewSnapshot with a zero Targets: err = %v, want ErrInvalid", err)
	}
}

// TestParseSnapshotAndTimestamp: published snapshot and timestamp files
// read back to the same content, bytes and signatures.
func TestParseSnapshotAndTimestamp(t *testing.T) {
	f := newFixture(t)
	tg, err := repository.NewTargets(repository.TopLevelTargets, 4, expires)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Sign(context.Background(), f.holder, f.targetsKeys); err != nil {
		t.Fatal(err)
	}
	fsys := f.release(t, 3, []*repository.Targets{tg})
	sn, err := repository.ParseSnapshot(fsys["3.snapshot.json"].Data)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := sn.Meta("targets.json"); !ok || m.Version != 4 || sn.Version() != 3 || fmt.Sprint(sn.Files()) != "[targets.json]" {
		t.Fatalf("snapshot v%d lists %v", sn.Version(), sn.Files())
	}
	ts, err := repository.ParseTimestamp(fsys["timestamp.json"].Data)
	if err != nil {
		t.Fatal(err)
	}
	m := ts.Snapshot()
	if m.Version != 3 || m.Length != int64(len(fsys["3.snapshot.json"].Data)) || len(m.Hashes["sha256"]) != 64 {
		t.Fatalf("timestamp names %+v", m)
	}
	for name, x := range map[string]interface{ MarshalFile() ([]byte, error) }{"3.snapshot.json": sn, "timestamp.json": ts} {
		again, err := x.MarshalFile()
		if err != nil || !bytes.Equal(again, fsys[name].Data) {
			t.Errorf("%s does not read back unchanged: %v", name, err)
		}
	}
	if _, err := repository.ParseTimestamp(fsys["3.snapshot.json"].Data); !errors.Is(err, root.ErrMalformed) {
		t.Errorf("a snapshot read as a timestamp: %v", err)
	}
}
