package cra

// #include <cra.h>
import "C"

import (
	"runtime"
	"sync"
)

// Resolver is a libcra resolver (cra_resolver): the loaded atlases, the
// sessions and their traces.
//
// A Resolver is safe for concurrent use by any number of goroutines.
// Close it when done: Close drains pending trace events and frees the C
// resources. Every method called after Close (or racing with it and
// losing) returns an error matching ErrShutdown.
type Resolver struct {
	// mu guards h: calls hold the read lock while they use the handle,
	// Close takes the write lock to clear it, so the handle is never
	// freed while a call is inside C.
	mu sync.RWMutex
	h  *C.cra_resolver
}

// New creates a resolver with cfg (nil: DefaultConfig()). In deferred
// mode it starts libcra's background trace processor.
//
// Errors: ErrInvalidArgument when a setting is out of range (the message
// names it); ErrInternal when the processor thread cannot start.
func New(cfg *Config) (*Resolver, error) {
	const op = "cra_resolver_new"
	return newResolver(cfg, op, func(ccfg *C.cra_config, out **C.cra_resolver, cerr **C.cra_error) C.cra_status {
		return C.cra_resolver_new(ccfg, out, cerr)
	})
}

// newResolver converts cfg (nil: DefaultConfig()), creates the handle
// with create (cra_resolver_new or cra_resolver_open) and wraps it.
func newResolver(cfg *Config, op string,
	create func(ccfg *C.cra_config, out **C.cra_resolver, cerr **C.cra_error) C.cra_status) (*Resolver, error) {
	if cfg == nil {
		def := DefaultConfig()
		cfg = &def
	}
	ccfg, err := cfg.toC()
	if err != nil {
		return nil, err
	}
	var h *C.cra_resolver
	var cerr *C.cra_error
	status := create(&ccfg, &h, &cerr)
	if err := takeError(op, status, cerr); err != nil {
		return nil, err
	}
	r := &Resolver{h: h}
	// A safety net only: a forgotten resolver is freed when collected.
	runtime.SetFinalizer(r, (*Resolver).Close)
	return r, nil
}

// Close stops the resolver: new calls fail with ErrShutdown, the deferred
// buffer is drained for up to Config.ShutdownTimeout, the processor is
// joined, a durable store (OpenResolver) commits what it still holds
// within that time and releases its file, and all C memory is released.
//
// Close waits for calls already inside C to return (a wait such as
// AwaitTraceReady is cut into slices of at most 50ms, so it never holds
// Close up longer than one slice; a resolve blocked by
// BackpressureBlock holds it up to Config.BlockTimeout). Calls that start
// after Close began return an error matching ErrShutdown. Close is
// idempotent: calling it again returns nil at once (even while the first
// call is still draining). It always returns nil.
func (r *Resolver) Close() error {
	r.mu.Lock()
	h := r.h
	r.h = nil
	r.mu.Unlock()
	if h == nil {
		return nil
	}
	runtime.SetFinalizer(r, nil)
	// No call can be using h now: they all hold the read lock while in C,
	// and any later call finds r.h nil. Freeing outside the lock lets
	// those later calls fail with ErrShutdown at once instead of waiting
	// for the drain.
	C.cra_resolver_free(h)
	return nil
}

// use runs f with the handle while holding the read lock, so Close cannot
// free the handle while f is in C. It fails with ErrShutdown after Close.
func (r *Resolver) use(op string, f func(h *C.cra_resolver) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.h == nil {
		return newError(StatusShutdown, op, "the resolver is closed")
	}
	err := f(r.h)
	runtime.KeepAlive(r)
	return err
}

// LoadAtlas loads an Atlas/1.0 manifest given as JSON (CARP.md). An atlas
// loaded this way may use inline context only.
//
// Errors: ErrInvalidJSON; ErrInvalidAtlas (the message names the JSON
// pointer of the first broken rule); ErrConflict (atlas or action id
// already loaded); ErrInvalidArgument (not UTF-8, over 16 MiB). On error
// the resolver is unchanged.
func (r *Resolver) LoadAtlas(manifest []byte) error {
	const op = "cra_load_atlas"
	return r.use(op, func(h *C.cra_resolver) error {
		p, n := bytesArg(manifest)
		var cerr *C.cra_error
		status := C.cra_load_atlas(h, p, n, &cerr)
		runtime.KeepAlive(manifest)
		return takeError(op, status, cerr)
	})
}

// LoadAtlasFile loads an Atlas/1.0 manifest from a file; context pack
// files are read relative to the manifest's folder.
//
// Errors: as LoadAtlas, plus ErrIO when a file cannot be read.
func (r *Resolver) LoadAtlasFile(path string) error {
	const op = "cra_load_atlas_file"
	cpath, err := cString(op, "path", path)
	if err != nil {
		return err
	}
	defer freeCString(cpath)
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_load_atlas_file(h, cpath, &cerr)
		return takeError(op, status, cerr)
	})
}

// UnloadAtlas removes the atlas atlasID with its actions, policies and
// context packs.
//
// Errors: ErrNotFound; ErrInvalidArgument.
func (r *Resolver) UnloadAtlas(atlasID string) error {
	const op = "cra_unload_atlas"
	cid, err := cString(op, "atlas_id", atlasID)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	return r.use(op, func(h *C.cra_resolver) error {
		var cerr *C.cra_error
		status := C.cra_unload_atlas(h, cid, &cerr)
		return takeError(op, status, cerr)
	})
}

// BeginSession begins a session for agent agentID working towards goal,
// records its session.started event, and returns the session id (a
// lowercase hyphenated UUIDv7). The session is traced in the resolver's
// mode (Config.TraceMode); BeginSessionWith chooses another.
//
// Errors: ErrInvalidArgument (empty agent id, agent id over 256 bytes,
// goal over 64 KiB, a NUL byte); ErrBackpressure (deferred mode, buffer
// full: no session was created); ErrShutdown.
func (r *Resolver) BeginSession(agentID, goal string) (string, error) {
	return r.beginSession("cra_session_begin", agentID, goal,
		func(h *C.cra_resolver, agent, goal *C.char, out *C.char, cerr **C.cra_error) C.cra_status {
			return C.cra_session_begin(h, agent, goal, out, cerr)
		})
}

// BeginSessionWith is BeginSession with options: opts.TraceMode traces
// this session immediately (TraceImmediate) or deferred (TraceDeferred)
// whatever the resolver's mode, or in the resolver's mode
// (TraceResolverDefault, as DefaultSessionOptions sets it). One resolver
// serves sessions of both modes at once; a session's mode is fixed when
// it begins, and the sync points (IsTraceReady, AwaitTraceReady,
// FlushTraces, Trace) work for both: an immediate session is always
// ready. opts is copied; libcra keeps nothing of it. It needs a libcra
// with ABIMinor() >= 1.
//
// Errors: as BeginSession; ErrInvalidArgument also when opts.TraceMode is
// none of TraceImmediate, TraceDeferred and TraceResolverDefault;
// ErrInternal when the first deferred session of an immediate resolver
// cannot start the trace processor thread.
func (r *Resolver) BeginSessionWith(agentID, goal string, opts SessionOptions) (string, error) {
	copts := opts.toC()
	return r.beginSession("cra_session_begin_with", agentID, goal,
		func(h *C.cra_resolver, agent, goal *C.char, out *C.char, cerr **C.cra_error) C.cra_status {
			return C.cra_session_begin_with(h, agent, goal, &copts, out, cerr)
		})
}

// beginSession converts the texts, calls begin (cra_session_begin or
// cra_session_begin_with) with a CRA_ID_BUF_LEN buffer and returns the id
// it wrote.
func (r *Resolver) beginSession(op, agentID, goal string,
	begin func(h *C.cra_resolver, agent, goal *C.char, out *C.char, cerr **C.cra_error) C.cra_status) (string, error) {
	cagent, err := cString(op, "agent_id", agentID)
	if err != nil {
		return "", err
	}
	defer freeCString(cagent)
	cgoal, err := cString(op, "goal", goal)
	if err != nil {
		return "", err
	}
	defer freeCString(cgoal)
	var id string
	err = r.use(op, func(h *C.cra_resolver) error {
		var buf [C.CRA_ID_BUF_LEN]C.char
		var cerr *C.cra_error
		status := begin(h, cagent, cgoal, &buf[0], &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		id = idString(&buf)
		return nil
	})
	return id, err
}

// EndSession ends session id and records session.ended with reason and
// the session's duration. The trace stays readable.
//
// Errors: ErrNotFound; ErrSessionEnded; ErrBackpressure (the session
// stays open); ErrInvalidArgument (malformed id, reason over 64 KiB);
// ErrShutdown.
func (r *Resolver) EndSession(id, reason string) error {
	const op = "cra_session_end"
	cid, err := cString(op, "session_id", id)
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
		status := C.cra_session_end(h, cid, creason, &cerr)
		return takeError(op, status, cerr)
	})
}

// Resolve resolves a CARP/1.0 request (JSON) and returns the resolution
// (JSON). In immediate mode the request's events are stored when it
// returns; in deferred mode they are queued.
//
// Errors: ErrInvalidJSON; ErrInvalidRequest (the message names the JSON
// pointer and the rule); ErrNotFound (session, atlas or capability);
// ErrPermission (the agent does not own the session); ErrSessionEnded;
// ErrConflict (request id reused in the session); ErrBackpressure
// (nothing recorded, no decision: retry later); ErrInvalidArgument (not
// UTF-8, over 1 MiB); ErrShutdown. A failed request records nothing.
func (r *Resolver) Resolve(request []byte) ([]byte, error) {
	const op = "cra_resolve"
	var out []byte
	err := r.use(op, func(h *C.cra_resolver) error {
		p, n := bytesArg(request)
		var buf C.cra_buf
		var cerr *C.cra_error
		status := C.cra_resolve(h, p, n, &buf, &cerr)
		runtime.KeepAlive(request)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		out = takeBuf(&buf)
		return nil
	})
	return out, err
}

// Stats returns the resolver's counters.
func (r *Resolver) Stats() (Stats, error) {
	const op = "cra_stats_get"
	var s Stats
	err := r.use(op, func(h *C.cra_resolver) error {
		var cs C.cra_stats
		var cerr *C.cra_error
		status := C.cra_stats_get(h, &cs, &cerr)
		if err := takeError(op, status, cerr); err != nil {
			return err
		}
		s = Stats{
			EventsEmitted:   uint64(cs.events_emitted),
			EventsProcessed: uint64(cs.events_processed),
			EventsRejected:  uint64(cs.events_rejected),
			QueueDepth:      uint64(cs.queue_depth),
			QueueCapacity:   uint64(cs.queue_capacity),
			QueueHighWater:  uint64(cs.queue_high_water),
			SessionsActive:  uint64(cs.sessions_active),
		}
		return nil
	})
	return s, err
}

// ABIVersion returns the ABI version of the loaded libcra (1).
func ABIVersion() uint32 {
	return uint32(C.cra_abi_version())
}

// ABIMinor returns which additions to ABI version 1 the loaded libcra has
// (cra_abi_minor; 1 for this one): 1 means durable stores, heads, action
// checks, approvals, outcome reports and per-session trace mode
// (BeginSessionWith). A program that may run with an older libcra checks
// ABIMinor() >= N before using an addition of minor N.
func ABIMinor() uint32 {
	return uint32(C.cra_abi_minor())
}

// Version returns the version of the loaded libcra (cra_version), such as
// "1.0.0": MAJOR.MINOR.PATCH, where MAJOR is the ABI version.
func Version() string {
	return C.GoString(C.cra_version())
}
