package cra

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A fake store wait: sliceWait loops on timeouts, and, for AwaitDurable
// (retryIO), on I/O errors too, which it returns instead of ctx.Err()
// when ctx ends right after one.
func TestSliceWait(t *testing.T) {
	timeout := newError(StatusTimeout, "fake", "ran out")
	ioErr := newError(StatusIO, "fake", "disk I/O error")
	notFound := newError(StatusNotFound, "fake", "no such session")

	// script returns a wait that answers with results in turn (the last
	// one forever), sleeping for each slice it was given, and checks that
	// no slice is longer than waitSlice.
	script := func(t *testing.T, calls *int, results ...error) func(uint32) error {
		return func(ms uint32) error {
			if time.Duration(ms)*time.Millisecond > waitSlice {
				t.Errorf("slice of %dms, longer than %v", ms, waitSlice)
			}
			i := *calls
			*calls++
			if i >= len(results) {
				i = len(results) - 1
			}
			if errors.Is(results[i], ErrTimeout) || errors.Is(results[i], ErrIO) {
				time.Sleep(time.Duration(ms) * time.Millisecond)
			}
			return results[i]
		}
	}
	withTimeout := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}

	t.Run("io until the deadline returns the io error", func(t *testing.T) {
		calls := 0
		err := sliceWait(withTimeout(120*time.Millisecond), true, script(t, &calls, timeout, ioErr))
		if err != ioErr {
			t.Fatalf("got %v, want the I/O error itself", err)
		}
		if calls < 3 {
			t.Fatalf("%d slices: the I/O error was not retried", calls)
		}
	})
	t.Run("a timeout after io forgets it", func(t *testing.T) {
		calls := 0
		err := sliceWait(withTimeout(120*time.Millisecond), true, script(t, &calls, ioErr, ioErr, timeout))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("io then success", func(t *testing.T) {
		calls := 0
		if err := sliceWait(withTimeout(5*time.Second), true, script(t, &calls, ioErr, ioErr, nil)); err != nil {
			t.Fatalf("got %v, want nil once the store recovered", err)
		}
		if calls != 3 {
			t.Fatalf("%d slices, want 3", calls)
		}
	})
	t.Run("timeouts until cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(80*time.Millisecond, cancel)
		calls := 0
		err := sliceWait(ctx, true, script(t, &calls, timeout))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
	t.Run("without retryIO io ends the wait", func(t *testing.T) {
		calls := 0
		if err := sliceWait(withTimeout(5*time.Second), false, script(t, &calls, timeout, ioErr)); err != ioErr || calls != 2 {
			t.Fatalf("got %v after %d slices, want the I/O error after 2", err, calls)
		}
	})
	t.Run("other errors end the wait", func(t *testing.T) {
		calls := 0
		if err := sliceWait(withTimeout(5*time.Second), true, script(t, &calls, ioErr, notFound)); err != notFound || calls != 2 {
			t.Fatalf("got %v after %d slices, want ErrNotFound after 2", err, calls)
		}
	})
	t.Run("a context already done never calls", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		if err := sliceWait(ctx, true, script(t, &calls, nil)); !errors.Is(err, context.Canceled) || calls != 0 {
			t.Fatalf("got %v after %d slices, want context.Canceled after none", err, calls)
		}
	})
}

// The ChainFailure constants name the values libcra names alike.
func TestChainFailureNames(t *testing.T) {
	all := []ChainFailure{ChainValid, ChainMalformed, ChainSequenceGap, ChainBroken,
		ChainHashMismatch, ChainSessionMismatch, ChainTruncated, ChainHeadMismatch}
	for i, f := range all {
		if uint32(f) != uint32(i) {
			t.Errorf("%v = %d, want %d", f, uint32(f), i)
		}
		want := "CRA_CHAIN_" + strings.ToUpper(strings.TrimPrefix(f.String(), "chain_"))
		if got := f.cName(); got != want {
			t.Errorf("cra_chain_failure_name(%d) = %q, want %q (String %q)", uint32(f), got, want, f.String())
		}
	}
	if got := ChainFailure(8).cName(); got != "CRA_CHAIN_UNKNOWN" {
		t.Errorf("cra_chain_failure_name(8) = %q", got)
	}
	if got := ChainFailure(8).String(); got != "ChainFailure(8)" {
		t.Errorf("ChainFailure(8).String() = %q", got)
	}
}
