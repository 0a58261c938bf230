package cra

// #include <stdlib.h>
// #include <cra.h>
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// OpenResolver creates a resolver, as New does, whose trace events go to
// the store storeURL names:
//
//   - "" or "memory:": events stay in memory (the same as New);
//   - "sqlite:PATH": a durable single SQLite file, created when missing
//     and reopened with every session it holds when present. Parameters:
//     "?sync=full" syncs every commit to disk (it survives power loss; the
//     default, sync=normal, survives the process crashing) and
//     "max_waiting_mb=N" bounds the event text waiting for the file
//     (default 64), as in "sqlite:/var/lib/agent/trace.db?sync=full";
//   - "postgres://...": not supported by this build (ErrIO).
//
// One resolver per file: a second OpenResolver of a file another resolver
// (of this process or another) has open fails with ErrIO. Close commits
// what the store still holds, within Config.ShutdownTimeout, and releases
// the file.
//
// Sessions of a reopened store can be read (Trace, SessionHead) and
// verified (VerifyChain) at once; one that had not ended when the store's
// last resolver stopped continues after Resume.
//
// Errors: ErrInvalidArgument (as New, plus an unknown scheme or
// parameter, or a bad value: the message names it); ErrIO (the store
// cannot be opened or created, another resolver has it open, it is not a
// libcra trace store, or its schema version is another; the message says
// which).
func OpenResolver(cfg *Config, storeURL string) (*Resolver, error) {
	const op = "cra_resolver_open"
	var curl *C.char // NULL: the memory store
	if storeURL != "" {
		var err error
		if curl, err = cString(op, "store_url", storeURL); err != nil {
			return nil, err
		}
		defer freeCString(curl)
	}
	return newResolver(cfg, op, func(ccfg *C.cra_config, out **C.cra_resolver, cerr **C.cra_error) C.cra_status {
		return C.cra_resolver_open(ccfg, curl, out, cerr)
	})
}

// AwaitDurable waits until every event emitted before the call, of
// session sessionID or, when sessionID is "", of every session, is
// committed to the resolver's store, so that it survives a crash of the
// process (and, with sync=full, of the machine). With the memory store it
// is AwaitTraceReady (or FlushTraces).
//
// Like AwaitTraceReady it honours ctx by waiting in slices of at most
// 50ms. While the store fails, libcra keeps the events and retries the
// commit; a slice that runs out then reports ErrIO with the store's
// error, and AwaitDurable goes on waiting, since the store may recover.
// When ctx ends right after such a slice, AwaitDurable returns that
// ErrIO error instead of ctx.Err(), because the failing store is the
// reason the wait did not finish; when the store was merely slow it
// returns ctx.Err(). So give ctx a deadline: with context.Background() a
// store that never recovers makes the wait last forever.
//
// Errors: ErrIO (ctx ended while the store was failing); ctx.Err();
// ErrNotFound; ErrInvalidArgument (malformed id); ErrShutdown.
func (r *Resolver) AwaitDurable(ctx context.Context, sessionID string) error {
	const op = "cra_await_trace_durable"
	var cid *C.char // NULL: every session
	if sessionID != "" {
		var err error
		if cid, err = cString(op, "session_id", sessionID); err != nil {
			return err
		}
		defer freeCString(cid)
	}
	return sliceWait(ctx, true, func(ms uint32) error {
		return r.use(op, func(h *C.cra_resolver) error {
			var cerr *C.cra_error
			status := C.cra_await_trace_durable(h, cid, C.uint32_t(ms), &cerr)
			return takeError(op, status, cerr)
		})
	})
}

// Resume continues session sessionID, which was still open when the
// store's last resolver stopped, and records session.resumed with reason.
// The session is then active in this resolver as if begun here, except
// that request ids used before the restart are not remembered.
//
// Errors: ErrNotFound (unknown session, or the memory store);
// ErrSessionEnded; ErrConflict (already active in this resolver); ErrIO
// (the store cannot be read, or the session's stored tail does not match
// its head: verify it); ErrInvalidArgument (malformed id, reason over
// 64 KiB, a NUL byte); ErrBackpressure; ErrShutdown.
func (r *Resolver) Resume(sessionID, reason string) error {
	const op = "cra_session_resume"
	cid, err := cString(op, "session_id", sessionID)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	creason, err := cString(op, "reason", reason)
	if err != nil {
		return err
	}
	defer freeCString(creason)
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_session_resume(h, cid, creason, &cerr)
		return takeError(op, status, cerr)
	})
}

// StoreStats holds the counters of a resolver's store; it mirrors struct
// cra_store_stats.
type StoreStats struct {
	EventsDurable      uint64 // events committed to the store (with the memory store: stored)
	EventsWaiting      uint64 // events ready (sealed, readable) and not yet committed
	Commits            uint64 // transactions committed
	WriteErrors        uint64 // failed commits, each retried
	SessionsInMemory   uint64 // sessions held in memory, active or ended
	SessionsEvicted    uint64 // sessions that left memory, all their events committed (still readable from the store)
	ResidentEventBytes uint64 // bytes of event text held in memory until committed
}

// StoreStats returns the counters of the resolver's store.
//
// Errors: ErrShutdown.
func (r *Resolver) StoreStats() (StoreStats, error) {
	const op = "cra_store_stats_get"
	var s StoreStats
	err := r.use(op, func(h *C.cra_resolver) error {
		var cs C.cra_store_stats
		var cerr *C.cra_error
		status := C.cra_store_stats_get(h, &cs, &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		s = StoreStats{
			EventsDurable:      uint64(cs.events_durable),
			EventsWaiting:      uint64(cs.events_waiting),
			Commits:            uint64(cs.commits),
			WriteErrors:        uint64(cs.write_errors),
			SessionsInMemory:   uint64(cs.sessions_in_memory),
			SessionsEvicted:    uint64(cs.sessions_evicted),
			ResidentEventBytes: uint64(cs.resident_event_bytes),
		}
		return nil
	})
	return s, err
}

// Head is a session's head (struct cra_head): how many events its chain
// has and the event_hash of the last one. Keep it apart from the trace
// (SessionHead) to detect later that the trace's end was cut off
// (VerifyJSONLHead).
type Head struct {
	// Events is the number of events in the chain.
	Events uint64
	// Hash is the last event's event_hash, 64 lowercase hex digits; 64
	// zeros when the chain has no event.
	Hash string
}

// SessionHead returns session id's head: the events stored so far and
// the last one's hash.
//
// Errors: ErrNotFound; ErrInvalidArgument (malformed id); ErrIO (the
// store cannot be read); ErrShutdown.
func (r *Resolver) SessionHead(id string) (Head, error) {
	const op = "cra_session_head"
	cid, err := cString(op, "session_id", id)
	if err != nil {
		return Head{}, err
	}
	defer freeCString(cid)
	var head Head
	err = r.use(op, func(h *C.cra_resolver) error {
		var ch C.cra_head
		var cerr *C.cra_error
		status := C.cra_session_head(h, cid, &ch, &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		head = Head{Events: uint64(ch.events), Hash: hashString(&ch.head_hash)}
		return nil
	})
	return head, err
}

// VerifyJSONLHead verifies one session's TRACE/1.0 JSON Lines as
// VerifyJSONL does, then holds them against head, a head kept from
// earlier (SessionHead): fewer events than head.Events is ChainTruncated
// (FirstBadIndex is then the number of events present), another hash at
// event head.Events-1 is ChainHeadMismatch. More events than the head
// counts is valid: the chain grew since. It needs no resolver. It returns
// the report in every case where verification ran; when the chain is
// broken, cut off or does not match, the error matches ErrChainInvalid.
//
// Errors: ErrChainInvalid (with the report); ErrInvalidArgument (not
// UTF-8, over 1 GiB, a head hash that is not 64 lowercase hex digits, or
// events of more than one session in jsonl).
func VerifyJSONLHead(jsonl []byte, head Head) (VerifyReport, error) {
	const op = "cra_verify_jsonl_head"
	report := VerifyReport{FirstBadIndex: -1}
	var ch C.cra_head
	if len(head.Hash) >= len(ch.head_hash) || strings.IndexByte(head.Hash, 0) >= 0 {
		return report, newError(StatusInvalidArgument, op,
			fmt.Sprintf("head hash %q is not 64 lowercase hex digits", head.Hash))
	}
	ch.events = C.uint64_t(head.Events)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(&ch.head_hash[0])), len(ch.head_hash))
	copy(dst, head.Hash) // the rest stays zero: NUL-terminated
	p, n := bytesArg(jsonl)
	var out C.cra_verify_report
	var cerr *C.cra_error
	status := C.cra_verify_jsonl_head(p, n, &ch, &out, &cerr)
	runtime.KeepAlive(jsonl)
	if status == C.CRA_OK || status == C.CRA_ERR_CHAIN_INVALID {
		report = reportFromC(&out)
	}
	return report, takeError(op, status, cerr)
}
