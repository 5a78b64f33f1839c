package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestInterruptAtPromptEndsCommand: Ctrl-C at a PIN prompt (main turns it
// into a cancelled context) ends the command with a clear error and
// writes nothing, although the read it interrupts never returns. Before
// the fix the tool waited for Enter.
func TestInterruptAtPromptEndsCommand(t *testing.T) {
	for _, source := range []string{"terminal", "stdin"} {
		t.Run(source, func(t *testing.T) {
			tl := newTool(t)
			tl.setupV1Staged()
			block := make(chan struct{})
			defer close(block)
			var out bytes.Buffer
			var errb lockedBuffer
			e := tl.env(&out, &errb)
			pr, pw := io.Pipe() // a reader nobody ever writes to
			defer pw.Close()
			switch source {
			case "terminal":
				e.readPassword = func(context.Context) ([]byte, error) { <-block; return nil, io.EOF }
			case "stdin":
				e.readPassword = func(context.Context) ([]byte, error) { return nil, errNotTerminal }
				e.stdin = pr
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() { done <- run(ctx, e, []string{"sign", "-C", tl.dir, "-holder", "alice", "-token", "fake"}) }()
			// Cancel once the prompt is shown.
			for !strings.Contains(errb.String(), "Enter the PIN") {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			var code int
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the command is still waiting for the PIN after Ctrl-C")
			}
			if code != 130 || !strings.Contains(errb.String(), "interrupted while waiting for the PIN of alice's token") {
				t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
			}
			if files, _ := filepath.Glob(tl.path("staged/signatures/*")); len(files) != 0 {
				t.Fatalf("an interrupted sign wrote %v", files)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe to read while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInterruptedExitStatus: a command ended by Ctrl-C (a cancelled
// context) exits 130; other failures, including a signing timeout, exit 1.
func TestInterruptedExitStatus(t *testing.T) {
	errCmd := func(err error) func(context.Context, *env, []string) error {
		return func(context.Context, *env, []string) error { return err }
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{cancelled, fmt.Errorf("ceremony: interrupted while waiting for the PIN: %w", context.Canceled), 130},
		{cancelled, errors.New("ceremony: some other failure"), 1},
		{context.Background(), fmt.Errorf("ceremony: signing: %w", context.Canceled), 1},
		{context.Background(), fmt.Errorf("ceremony: signing timed out: %w", context.DeadlineExceeded), 1},
	} {
		if got := runCommand(c.ctx, testEnvForExit(), "x", errCmd(c.err), nil); got != c.want {
			t.Errorf("ctx err %v, command error %q: exit %d, want %d", c.ctx.Err(), c.err, got, c.want)
		}
	}
}

func testEnvForExit() *env {
	var out, errb strings.Builder
	return &env{stdout: &out, stderr: &errb}
}
