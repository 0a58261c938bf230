package cra

// #include <cra.h>
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// waitSlice is the longest single wait inside C. Waits that honour a
// context are cut into slices of at most this long, and the context is
// checked between them, so no goroutine (or OS thread) stays in C longer
// than one slice after its context ends or Close begins.
const waitSlice = 50 * time.Millisecond

// IsTraceReady reports whether every event of session id emitted so far
// is hashed and stored (always true in immediate mode).
//
// Errors: ErrNotFound; ErrInvalidArgument (malformed id).
func (r *Resolver) IsTraceReady(id string) (bool, error) {
	const op = "cra_is_trace_ready"
	cid, err := cString(op, "session_id", id)
	if err != nil {
		return false, err
	}
	defer freeCString(cid)
	var ready bool
	err = r.use(op, func(h *C.cra_resolver) error {
		var out C.bool
		var cerr *C.cra_error
		status := C.cra_is_trace_ready(h, cid, &out, &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		ready = bool(out)
		return nil
	})
	return ready, err
}

// AwaitTraceReady waits until every event of session id is stored, or
// until ctx is done, in which case it returns ctx.Err()
// (context.DeadlineExceeded or context.Canceled) within one wait slice
// (50ms). Immediate mode returns at once.
//
// The wait is made of short cra_await_trace_ready calls; each covers the
// events emitted before it began, so events that other goroutines add to
// the session during a long wait may extend it.
//
// Errors: ctx.Err(); ErrNotFound; ErrInvalidArgument (malformed id);
// ErrShutdown (the resolver was closed or its processor stopped).
func (r *Resolver) AwaitTraceReady(ctx context.Context, id string) error {
	const op = "cra_await_trace_ready"
	cid, err := cString(op, "session_id", id)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	return r.waitSliced(ctx, op, func(h *C.cra_resolver, ms C.uint32_t, cerr **C.cra_error) C.cra_status {
		return C.cra_await_trace_ready(h, cid, ms, cerr)
	})
}

// FlushTraces waits until every event of every session is stored, or
// until ctx is done (then it returns ctx.Err() within one wait slice).
// Immediate mode returns at once.
//
// Errors: ctx.Err(); ErrShutdown.
func (r *Resolver) FlushTraces(ctx context.Context) error {
	const op = "cra_flush_traces"
	return r.waitSliced(ctx, op, func(h *C.cra_resolver, ms C.uint32_t, cerr **C.cra_error) C.cra_status {
		return C.cra_flush_traces(h, ms, cerr)
	})
}

// TraceEvent is one TRACE/1.0 event (TRACE.md "Events"): one line of a
// trace, its members in TRACE.md's order. Timestamp and Payload keep the
// text libcra wrote, because the event hash covers the timestamp as
// written and the payload's values; still, archive and verify the trace
// itself (Trace, VerifyJSONL), not events encoded again.
type TraceEvent struct {
	TraceVersion string `json:"trace_version"` // always "1.0"
	EventID      string `json:"event_id"`      // UUIDv7 of this event
	TraceID      string `json:"trace_id"`      // UUIDv7 of the session's chain
	SpanID       string `json:"span_id"`       // UUIDv7 of the span the event belongs to
	// ParentSpanID is the enclosing span; nil (JSON null) on a session's
	// first event.
	ParentSpanID *string `json:"parent_span_id"`
	SessionID    string  `json:"session_id"`
	// Sequence is the event's position in its session: 0, 1, 2, ...
	Sequence uint64 `json:"sequence"`
	// Timestamp is UTC RFC 3339 with six fractional digits, as hashed;
	// time.Parse(time.RFC3339Nano, e.Timestamp) reads it.
	Timestamp string `json:"timestamp"`
	// EventType is what happened, such as "carp.resolution.completed".
	EventType string `json:"event_type"`
	// Payload is the event's details (a JSON object), as written.
	Payload json.RawMessage `json:"payload"`
	// EventHash is the event's SHA-256, 64 lowercase hex digits.
	EventHash string `json:"event_hash"`
	// PreviousEventHash is the EventHash of the event before; 64 zeros
	// on the first event.
	PreviousEventHash string `json:"previous_event_hash"`
}

// Trace returns the trace of session id: its TRACE/1.0 JSON Lines
// (TRACE.md), one event per line, as libcra stored them. This text is
// what VerifyJSONL checks and what to archive; TraceEvents returns the
// same events decoded. With partial false it first waits, as
// AwaitTraceReady, until the session's events are stored; with partial
// true it returns the events stored so far at once and ignores ctx.
//
// Errors: ctx.Err(); ErrNotFound; ErrInvalidArgument (malformed id);
// ErrShutdown.
func (r *Resolver) Trace(ctx context.Context, id string, partial bool) ([]byte, error) {
	const op = "cra_get_trace"
	if !partial {
		if err := r.AwaitTraceReady(ctx, id); err != nil {
			return nil, err
		}
	}
	cid, err := cString(op, "session_id", id)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	var out []byte
	err = r.use(op, func(h *C.cra_resolver) error {
		// After the wait above, the partial read holds every event that
		// was emitted before the wait began, which is what
		// CRA_TRACE_WAIT would return, without a long stay in C.
		var buf C.cra_buf
		var cerr *C.cra_error
		status := C.cra_get_trace(h, cid, C.CRA_TRACE_PARTIAL, 0, &buf, &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		out = takeBuf(&buf)
		return nil
	})
	return out, err
}

// TraceEvents returns the events of session id's trace, decoded: Trace
// with each line parsed, in sequence order. partial and ctx are as for
// Trace.
//
// Errors: as Trace; a line that does not decode (a libcra bug) is
// reported as ErrInternal.
func (r *Resolver) TraceEvents(ctx context.Context, id string, partial bool) ([]TraceEvent, error) {
	jsonl, err := r.Trace(ctx, id, partial)
	if err != nil {
		return nil, err
	}
	return decodeTraceEvents(jsonl)
}

// decodeTraceEvents parses JSON Lines into events, skipping lines that
// hold only white space (as TRACE.md's readers do).
func decodeTraceEvents(jsonl []byte) ([]TraceEvent, error) {
	events := []TraceEvent{}
	for i, line := range bytes.Split(jsonl, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e TraceEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, newError(StatusInternal, "cra_get_trace",
				fmt.Sprintf("cannot decode trace line %d: %v", i+1, err))
		}
		events = append(events, e)
	}
	return events, nil
}

// waitSliced repeats a C wait in slices of at most waitSlice (less when
// ctx's deadline is nearer) until it stops timing out, checking ctx
// before each slice. The read lock is taken per slice, so Close only
// waits for the slice in progress.
func (r *Resolver) waitSliced(ctx context.Context, op string,
	wait func(h *C.cra_resolver, ms C.uint32_t, cerr **C.cra_error) C.cra_status) error {
	return sliceWait(ctx, false, func(ms uint32) error {
		return r.use(op, func(h *C.cra_resolver) error {
			var cerr *C.cra_error
			status := wait(h, C.uint32_t(ms), &cerr)
			return takeError(op, status, cerr)
		})
	})
}

// sliceWait is the loop of waitSliced, kept free of cgo so that it can be
// tested with a fake wait. It calls wait with slices of at most waitSlice
// milliseconds (less when ctx's deadline is nearer) while wait reports
// ErrTimeout, and returns ctx.Err() when ctx ends first.
//
// With retryIO, a slice that reports ErrIO is retried too: that is how a
// durable store says "the time ran out while the store was failing", and
// the store keeps retrying its commits, so a later slice may succeed. When
// ctx ends after such a slice, sliceWait returns that ErrIO error rather
// than ctx.Err(): it names the cause of the wait not finishing. A later
// slice that only times out forgets it (the store recovered).
func sliceWait(ctx context.Context, retryIO bool, wait func(ms uint32) error) error {
	var lastIO error
	for {
		if err := ctx.Err(); err != nil {
			if lastIO != nil {
				return lastIO
			}
			return err
		}
		slice := waitSlice
		if deadline, ok := ctx.Deadline(); ok {
			if remaining := time.Until(deadline); remaining < slice {
				slice = remaining
			}
		}
		// Round up so a sub-millisecond remainder still sleeps in C
		// rather than spinning; 0 means "check once".
		ms := uint32(0)
		if slice > 0 {
			ms = uint32((slice + time.Millisecond - 1) / time.Millisecond)
		}
		err := wait(ms)
		switch {
		case errors.Is(err, ErrTimeout):
			lastIO = nil
		case retryIO && errors.Is(err, ErrIO):
			lastIO = err
		default:
			return err
		}
	}
}
