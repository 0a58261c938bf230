package cra

// #include <cra.h>
import "C"

import (
	"context"
	"errors"
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

// Trace returns the TRACE/1.0 JSON Lines of session id (TRACE.md), one
// event per line. With partial false it first waits, as AwaitTraceReady,
// until the session's events are stored; with partial true it returns
// the events stored so far at once and ignores ctx.
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

// waitSliced repeats a C wait in slices of at most waitSlice (less when
// ctx's deadline is nearer) until it stops timing out, checking ctx
// before each slice. The read lock is taken per slice, so Close only
// waits for the slice in progress.
func (r *Resolver) waitSliced(ctx context.Context, op string,
	wait func(h *C.cra_resolver, ms C.uint32_t, cerr **C.cra_error) C.cra_status) error {
	for {
		if err := ctx.Err(); err != nil {
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
		ms := C.uint32_t(0)
		if slice > 0 {
			ms = C.uint32_t((slice + time.Millisecond - 1) / time.Millisecond)
		}
		err := r.use(op, func(h *C.cra_resolver) error {
			var cerr *C.cra_error
			status := wait(h, ms, &cerr)
			return takeError(op, status, cerr)
		})
		if !errors.Is(err, ErrTimeout) {
			return err
		}
	}
}
