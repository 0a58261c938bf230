package cra_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

// A held processor with a 16-event buffer: resolves fail with
// ErrBackpressure, record nothing, and succeed once the processor runs.
func TestBackpressure(t *testing.T) {
	cfg := deferredConfig()
	cfg.BufferCapacity = 16
	r := newResolver(t, cfg)
	id := heldSession(t, r)
	var refused error
	accepted := 0
	for i := 0; i < 4 && refused == nil; i++ {
		_, refused = r.Resolve(request(t, agent, id, fmt.Sprintf("req-%d", i), "Close the month", nil))
		if refused == nil {
			accepted++
		}
	}
	e := requireCode(t, refused, cra.ErrBackpressure)
	if e.Op != "cra_resolve" {
		t.Errorf("Op = %q", e.Op)
	}
	stats, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if stats.EventsRejected == 0 || stats.QueueDepth > 16 || stats.QueueCapacity != 16 || stats.EventsProcessed != 0 {
		t.Fatalf("Stats = %+v", stats)
	}
	if ready, err := r.IsTraceReady(id); err != nil || ready {
		t.Fatalf("IsTraceReady = %v, %v; want false while held", ready, err)
	}
	if jsonl, err := r.Trace(context.Background(), id, true); err != nil || len(jsonl) != 0 {
		t.Fatalf("partial Trace = %q, %v; want nothing stored yet", jsonl, err)
	}

	if err := cra.HoldProcessor(r, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.AwaitTraceReady(ctx, id); err != nil {
		t.Fatalf("AwaitTraceReady: %v", err)
	}
	// The refused request recorded nothing, so its id is still free.
	if _, err := r.Resolve(request(t, agent, id, fmt.Sprintf("req-%d", accepted), "Close the month", nil)); err != nil {
		t.Fatalf("retry after backpressure: %v", err)
	}
	jsonl, err := r.Trace(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	report, err := cra.VerifyJSONL(jsonl)
	if want := uint64(1 + 7*(accepted+1)); err != nil || report.Events != want {
		t.Fatalf("VerifyJSONL = %+v, %v; want %d events", report, err, want)
	}
	pythonVerify(t, jsonl)
}

// BackpressureBlock waits BlockTimeout for room before giving up.
func TestBackpressureBlock(t *testing.T) {
	cfg := deferredConfig()
	cfg.BufferCapacity = 16
	cfg.Backpressure = cra.BackpressureBlock
	cfg.BlockTimeout = 100 * time.Millisecond
	r := newResolver(t, cfg)
	id := heldSession(t, r)
	for i := 0; ; i++ {
		start := time.Now()
		_, err := r.Resolve(request(t, agent, id, fmt.Sprintf("req-%d", i), "Close the month", nil))
		if err == nil {
			continue
		}
		requireCode(t, err, cra.ErrBackpressure)
		if elapsed := time.Since(start); elapsed < 80*time.Millisecond {
			t.Fatalf("blocking backpressure gave up after %v, want about 100ms", elapsed)
		}
		break
	}
}

// A context deadline ends the waits promptly while the processor is held.
func TestAwaitDeadline(t *testing.T) {
	r := newResolver(t, deferredConfig())
	id := heldSession(t, r)
	const timeout = 120 * time.Millisecond
	const slack = 150 * time.Millisecond // one 50ms slice plus scheduling on a busy machine
	waits := map[string]func(ctx context.Context) error{
		"AwaitTraceReady": func(ctx context.Context) error { return r.AwaitTraceReady(ctx, id) },
		"FlushTraces":     r.FlushTraces,
		"Trace": func(ctx context.Context) error {
			_, err := r.Trace(ctx, id, false)
			return err
		},
	}
	for name, wait := range waits {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		start := time.Now()
		err := wait(ctx)
		elapsed := time.Since(start)
		cancel()
		if err != context.DeadlineExceeded {
			t.Fatalf("%s = %v, want context.DeadlineExceeded", name, err)
		}
		if elapsed < timeout || elapsed > timeout+slack {
			t.Fatalf("%s returned after %v, want about %v", name, elapsed, timeout)
		}
	}

	// Cancellation (no deadline) is noticed between slices too.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	err := r.AwaitTraceReady(ctx, id)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 30*time.Millisecond+slack {
		t.Fatalf("AwaitTraceReady = %v after %v, want context.Canceled soon after 30ms", err, time.Since(start))
	}

	// An expired context returns at once.
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	if err := r.AwaitTraceReady(expired, id); err != context.DeadlineExceeded {
		t.Fatalf("AwaitTraceReady(expired) = %v", err)
	}

	if err := cra.HoldProcessor(r, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.AwaitTraceReady(ctx, id); err != nil {
		t.Fatalf("AwaitTraceReady after release: %v", err)
	}
}
