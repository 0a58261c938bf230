package cra_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	cra "github.com/cra/libcra-go"
)

const sessionGoal = "Refund order 42"

// resolveOnce resolves one request in session id and fails the test unless
// it succeeds.
func resolveOnce(t *testing.T, r *cra.Resolver, id, requestID string) {
	t.Helper()
	if _, err := r.Resolve(request(t, agent, id, requestID, sessionGoal, nil)); err != nil {
		t.Fatalf("Resolve(%s): %v", requestID, err)
	}
}

// One immediate resolver serves an immediate session (the resolver's
// default) and a deferred one at once: while the processor is held only
// the deferred session waits; once released, both traces verify.
func TestBeginSessionWithMixedModes(t *testing.T) {
	r := newResolver(t, nil) // immediate
	// Held before the first deferred session starts the processor: the
	// hold applies to it from its first event on.
	if err := cra.HoldProcessor(r, true); err != nil {
		t.Fatalf("HoldProcessor: %v", err)
	}
	live, err := r.BeginSessionWith(agent, sessionGoal, cra.DefaultSessionOptions())
	if err != nil {
		t.Fatalf("BeginSessionWith(default): %v", err)
	}
	opts := cra.DefaultSessionOptions()
	opts.TraceMode = cra.TraceDeferred
	swarm, err := r.BeginSessionWith(agent, sessionGoal, opts)
	if err != nil {
		t.Fatalf("BeginSessionWith(deferred): %v", err)
	}
	resolveOnce(t, r, live, "req-live")
	resolveOnce(t, r, swarm, "req-swarm")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ready, err := r.IsTraceReady(live); err != nil || !ready {
		t.Fatalf("IsTraceReady(immediate session) = %v, %v; want true while the processor is held", ready, err)
	}
	if ready, err := r.IsTraceReady(swarm); err != nil || ready {
		t.Fatalf("IsTraceReady(deferred session) = %v, %v; want false while the processor is held", ready, err)
	}
	if err := r.AwaitTraceReady(ctx, live); err != nil {
		t.Fatalf("AwaitTraceReady(immediate session): %v", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	err = r.AwaitTraceReady(short, swarm)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitTraceReady(held deferred session) = %v, want context.DeadlineExceeded", err)
	}
	held, err := r.Trace(ctx, swarm, true)
	if err != nil || len(held) != 0 {
		t.Fatalf("partial Trace(held deferred session) = %q, %v; want nothing stored yet", held, err)
	}
	stats, err := r.Stats()
	if err != nil || stats.QueueDepth == 0 || stats.SessionsActive != 2 {
		t.Fatalf("Stats = %+v, %v; want queued events and 2 sessions", stats, err)
	}

	if err := cra.HoldProcessor(r, false); err != nil {
		t.Fatalf("HoldProcessor(false): %v", err)
	}
	for _, id := range []string{live, swarm} {
		if err := r.EndSession(id, "done"); err != nil {
			t.Fatalf("EndSession: %v", err)
		}
	}
	if err := r.FlushTraces(ctx); err != nil {
		t.Fatalf("FlushTraces: %v", err)
	}

	var all bytes.Buffer
	var counts []uint64
	for _, id := range []string{live, swarm} {
		if ready, err := r.IsTraceReady(id); err != nil || !ready {
			t.Fatalf("IsTraceReady(%s) after release = %v, %v", id, ready, err)
		}
		jsonl, err := r.Trace(ctx, id, false)
		if err != nil {
			t.Fatalf("Trace(%s): %v", id, err)
		}
		report, err := cra.VerifyJSONL(jsonl)
		if err != nil || !report.Valid() {
			t.Fatalf("VerifyJSONL(%s) = %+v, %v", id, report, err)
		}
		chain, err := r.VerifyChain(id)
		if err != nil || chain.Pending != 0 || chain.HeadHash != report.HeadHash || chain.Events != report.Events {
			t.Fatalf("VerifyChain(%s) = %+v, %v; JSONL report %+v", id, chain, err, report)
		}
		events := parseTrace(t, jsonl)
		if events[0].EventType != "session.started" || events[len(events)-1].EventType != "session.ended" {
			t.Fatalf("session %s: events %v", id, eventTypes(events))
		}
		counts = append(counts, report.Events)
		all.Write(jsonl)
	}
	if counts[0] != counts[1] {
		t.Fatalf("the sessions did the same and recorded %d and %d events", counts[0], counts[1])
	}
	pythonVerify(t, all.Bytes())
}

// The reverse: in a deferred resolver, the default session waits for the
// held processor and an immediate one is ready at once.
func TestBeginSessionWithImmediateInDeferredResolver(t *testing.T) {
	r := newResolver(t, deferredConfig())
	swarm := heldSession(t, r) // BeginSession: the resolver's mode
	live, err := r.BeginSessionWith(agent, sessionGoal, cra.SessionOptions{TraceMode: cra.TraceImmediate})
	if err != nil {
		t.Fatalf("BeginSessionWith(immediate): %v", err)
	}
	resolveOnce(t, r, live, "req-live")
	if ready, err := r.IsTraceReady(live); err != nil || !ready {
		t.Fatalf("IsTraceReady(immediate session) = %v, %v; want true", ready, err)
	}
	if ready, err := r.IsTraceReady(swarm); err != nil || ready {
		t.Fatalf("IsTraceReady(deferred session) = %v, %v; want false", ready, err)
	}
	if err := cra.HoldProcessor(r, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, id := range []string{live, swarm} {
		jsonl, err := r.Trace(ctx, id, false)
		if err != nil {
			t.Fatalf("Trace(%s): %v", id, err)
		}
		if report, err := cra.VerifyJSONL(jsonl); err != nil || !report.Valid() {
			t.Fatalf("VerifyJSONL(%s) = %+v, %v", id, report, err)
		}
	}
}

func TestBeginSessionWithBadOptions(t *testing.T) {
	r := newResolver(t, nil)
	for _, mode := range []cra.TraceMode{3, 7, 1 << 31} {
		id, err := r.BeginSessionWith(agent, sessionGoal, cra.SessionOptions{TraceMode: mode})
		var e *cra.Error
		if !errors.Is(err, cra.ErrInvalidArgument) || !errors.As(err, &e) ||
			e.Op != "cra_session_begin_with" || e.Message == "" || id != "" {
			t.Fatalf("BeginSessionWith(TraceMode %v) = %q, %v; want ErrInvalidArgument from cra_session_begin_with", mode, id, err)
		}
	}
	// The other arguments are checked as BeginSession checks them.
	if _, err := r.BeginSessionWith("", sessionGoal, cra.DefaultSessionOptions()); !errors.Is(err, cra.ErrInvalidArgument) {
		t.Fatalf("BeginSessionWith(empty agent) = %v, want ErrInvalidArgument", err)
	}
	if _, err := r.BeginSessionWith("agent\x00x", sessionGoal, cra.DefaultSessionOptions()); !errors.Is(err, cra.ErrInvalidArgument) {
		t.Fatalf("BeginSessionWith(NUL in agent) = %v, want ErrInvalidArgument", err)
	}
	if stats, err := r.Stats(); err != nil || stats.SessionsActive != 0 || stats.EventsEmitted != 0 {
		t.Fatalf("Stats = %+v, %v; refused sessions must record nothing", stats, err)
	}

	// TraceResolverDefault names no mode of a resolver.
	cfg := cra.DefaultConfig()
	cfg.TraceMode = cra.TraceResolverDefault
	if r, err := cra.New(&cfg); !errors.Is(err, cra.ErrInvalidArgument) {
		if r != nil {
			r.Close()
		}
		t.Fatalf("New(TraceMode %v) = %v, want ErrInvalidArgument", cfg.TraceMode, err)
	}

	r.Close()
	if _, err := r.BeginSessionWith(agent, sessionGoal, cra.DefaultSessionOptions()); !errors.Is(err, cra.ErrShutdown) {
		t.Fatalf("BeginSessionWith after Close = %v, want ErrShutdown", err)
	}
}

func TestSessionOptionsDefaultsAndABIMinor(t *testing.T) {
	if got := cra.DefaultSessionOptions(); got.TraceMode != cra.TraceResolverDefault {
		t.Fatalf("DefaultSessionOptions() = %+v, want TraceResolverDefault", got)
	}
	if got := cra.TraceResolverDefault.String(); got != "resolver-default" {
		t.Fatalf("TraceResolverDefault.String() = %q", got)
	}
	if got := cra.ABIMinor(); got < 1 {
		t.Fatalf("ABIMinor() = %d, want >= 1 (per-session trace mode)", got)
	}
}
