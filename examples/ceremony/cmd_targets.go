package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"reflect"

	"github.com/trustroot/trustroot/repository"
)

func cmdTargets(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("targets needs a subcommand: add NAME [FILE] [-custom JSON], remove NAME, or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stderr, "Usage: ceremony targets add NAME FILE [-C DIR] [-custom JSON]   publish a file (or a new file under NAME)\n"+
			"       ceremony targets add NAME -custom JSON [-C DIR]        change NAME's custom metadata, keeping its file\n"+
			"       ceremony targets remove NAME [-C DIR]\n"+
			"       ceremony targets list [-C DIR]\n"+
			"Run \"ceremony targets add -h\" for its flags.\n")
		return flag.ErrHelp
	case "add":
		return targetsAdd(ctx, e, args[1:])
	case "remove":
		return targetsRemove(ctx, e, args[1:])
	case "list":
		return targetsList(ctx, e, args[1:])
	}
	return usageErr("unknown targets subcommand %q: want add, remove or list", args[0])
}

// parseCustom checks a -custom value: a JSON object, bounded.
func parseCustom(s string) (json.RawMessage, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 64<<10 {
		return nil, usageErr("-custom is longer than 64 KiB")
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&obj); err != nil || dec.More() || obj == nil {
		return nil, usageErr("-custom must be one JSON object, e.g. {\"sigstore\":{\"usage\":\"Fulcio\",\"status\":\"Active\"}}")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		return nil, usageErr("-custom: %v", err)
	}
	return buf.Bytes(), nil
}

func targetsAdd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "targets add", "NAME [FILE] [-C DIR] [-custom JSON] [-passphrase-fd N]")
	dir := repoFlag(f)
	custom := f.String("custom", "", "custom metadata, a JSON object such as {\"sigstore\":{\"usage\":\"Fulcio\",\"status\":\"Active\"}}")
	addSignerFlags(f, e, false)
	pos, err := parseFlags(f, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && *custom == "" {
		return usageErr("targets add needs NAME FILE, or NAME -custom JSON to change a published target's custom metadata")
	}
	var (
		name string
		data []byte
		c    json.RawMessage
	)
	if len(pos) == 1 {
		// New custom metadata for a published file.
		name = pos[0]
		if err := checkTargetName(name); err != nil {
			return usageErr("%v", err)
		}
		if c, err = parseCustom(*custom); err != nil {
			return err
		}
	} else if name, data, c, err = readTargetArgs(pos, *custom, "targets add needs NAME FILE"); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	p, rt, cur, err := r.onlineState()
	if err != nil {
		return err
	}
	var old repository.Target
	replaced := false
	if cur != nil {
		old, replaced = cur.targets.Target(name)
	}
	if data == nil && !replaced {
		return fmt.Errorf("ceremony: targets lists no %s whose custom metadata could change; give its FILE to add it", name)
	}
	if !replaced && cur != nil && len(cur.targets.Targets()) >= maxTargets {
		return fmt.Errorf("ceremony: targets already lists %d files", len(cur.targets.Targets()))
	}
	if replaced && *custom == "" {
		// A new file under the same name keeps its custom metadata
		// unless -custom says otherwise: dropping {"sigstore":{"usage":
		// "Fulcio","status":"Active"}} would make every service stop
		// loading it.
		if c, err = keepCustom(e, name, old, c); err != nil {
			return err
		}
	}
	if replaced && (data == nil || sameContent(old, data)) && sameJSON(old.Custom, c) {
		e.printf("Target %s is unchanged (same file and custom metadata): nothing to publish.\n", name)
		return nil
	}
	now := e.currentTime()
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return err
	}
	var files map[string][]byte
	if data == nil {
		if err := t.SetCustom(name, c); err != nil {
			return fmt.Errorf("ceremony: %w", err)
		}
	} else {
		tf, err := t.AddTarget(name, data, c)
		if err != nil {
			return fmt.Errorf("ceremony: %w", err)
		}
		files = map[string][]byte{tf.Name: data}
	}
	if cur != nil {
		for _, d := range cur.targets.Delegations() {
			if d.Matches(name) {
				e.printf("Note: %s also matches delegated role %s's paths; clients find the top-level target first.\n", name, d.Name)
			}
		}
	}
	signers, err := onlineSigners(ctx, e, p, rt, "targets")
	if err != nil {
		return err
	}
	if err := signOnline(ctx, e, t, signers); err != nil {
		return err
	}
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{targets: t, files: files}, now); err != nil {
		return err
	}
	switch {
	case data == nil:
		e.printf("Changed the custom metadata of target %s to %s in targets v%d (the file is unchanged).\n", name, c, t.Version())
	default:
		verb := "Added"
		if replaced {
			verb = "Replaced"
		}
		sum := sha256.Sum256(data)
		e.printf("%s target %s (%d bytes, sha256 %s) in targets v%d.\n", verb, name, len(data), shortFP(hex.EncodeToString(sum[:])), t.Version())
	}
	return nil
}

// sameContent reports whether data is the file target t lists.
func sameContent(t repository.Target, data []byte) bool {
	return t.Verify(data) == nil
}

// sameJSON reports whether two custom metadata values are the same JSON
// (nil and empty are both none).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	decode := func(m json.RawMessage) (any, bool) {
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	va, oka := decode(a)
	vb, okb := decode(b)
	return oka && okb && reflect.DeepEqual(va, vb)
}

func targetsRemove(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "targets remove", "NAME [-C DIR] [-passphrase-fd N]")
	dir := repoFlag(f)
	addSignerFlags(f, e, false)
	pos, err := parseFlags(f, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("targets remove needs NAME")
	}
	name := pos[0]
	r := openRepo(e, *dir)
	p, rt, cur, err := r.onlineState()
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("ceremony: nothing is published yet")
	}
	if _, ok := cur.targets.Target(name); !ok {
		return fmt.Errorf("ceremony: targets lists no %s (targets list shows what it lists)", name)
	}
	now := e.currentTime()
	t, err := newTargetsVersion(p, cur, now)
	if err != nil {
		return err
	}
	t.RemoveTarget(name)
	signers, err := onlineSigners(ctx, e, p, rt, "targets")
	if err != nil {
		return err
	}
	if err := signOnline(ctx, e, t, signers); err != nil {
		return err
	}
	// The file itself stays: an older snapshot, which a client may still
	// hold until the new timestamp reaches it, lists it.
	if err := r.commitOnline(ctx, p, rt, cur, onlineUpdate{targets: t}, now); err != nil {
		return err
	}
	e.printf("Removed target %s in targets v%d.\n", name, t.Version())
	return nil
}

func targetsList(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "targets list", "[-C DIR]")
	dir := repoFlag(f)
	if _, err := parseFlags(f, args); err != nil {
		return err
	}
	r := openRepo(e, *dir)
	cur, err := r.loadOnline()
	if err != nil {
		return err
	}
	if cur == nil {
		e.printf("Nothing is published yet.\n")
		return nil
	}
	for _, t := range cur.allTargets() {
		var c bytes.Buffer
		if len(t.Custom) > 0 {
			_ = json.Compact(&c, t.Custom)
		}
		e.printf("%-10s %-40s %8d  %s\n", t.Role, t.Name, t.Length, c.String())
	}
	return nil
}

// readTargetArgs reads the TARGET FILE arguments of a command that
// publishes a target: a clean target name, the file's bytes (bounded) and
// the -custom metadata, compacted.
func readTargetArgs(pos []string, custom, usage string) (name string, data, c []byte, err error) {
	if len(pos) != 2 {
		return "", nil, nil, usageErr("%s", usage)
	}
	name, file := pos[0], pos[1]
	if err := checkTargetName(name); err != nil {
		return "", nil, nil, usageErr("%v", err)
	}
	if c, err = parseCustom(custom); err != nil {
		return "", nil, nil, err
	}
	if data, err = readBounded(file, maxTargetFile); err != nil {
		return "", nil, nil, fmt.Errorf("ceremony: reading target file: %w", err)
	}
	return name, data, c, nil
}

// keepCustom returns the custom metadata for a new file under an existing
// target name when no -custom was given: the old target's, so that
// replacing a file never drops {"sigstore":{"usage":"Fulcio","status":
// "Active"}} and makes every service stop loading it. Without old custom
// metadata it returns c unchanged.
func keepCustom(e *env, name string, old repository.Target, c []byte) ([]byte, error) {
	if len(old.Custom) == 0 {
		return c, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, old.Custom); err != nil {
		return nil, fmt.Errorf("ceremony: custom metadata of target %s: %w", name, err)
	}
	e.printf("Keeping %s's custom metadata %s (pass -custom to change it).\n", name, buf.Bytes())
	return buf.Bytes(), nil
}
