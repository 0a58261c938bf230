// Package cra is the Go binding of libcra, over its C ABI version 1
// (cra.h; the library libcra.so.1). It is written for libcra 1.0.0 and
// works with every later 1.x: a version is MAJOR.MINOR.PATCH and MAJOR is
// the ABI version. Version reports the version of the library loaded.
//
// libcra decides what an AI agent may do and records every decision in a
// per-session SHA-256 hash chain. A host loads atlases (actions, policies
// and context; CARP.md), begins a session per agent, resolves CARP/1.0
// requests, and reads or verifies the session's trace: its TRACE/1.0
// events as JSON Lines (Trace), or decoded (TraceEvents):
//
//	r, err := cra.New(nil) // cra.DefaultConfig()
//	if err != nil { ... }
//	defer r.Close()
//	err = r.LoadAtlasFile("billing.atlas.json")
//	id, err := r.BeginSession("agent-7", "Close the month")
//	res, err := r.ResolveRequest(cra.Request{
//		Requester: cra.Requester{AgentID: "agent-7", SessionID: id},
//		Task:      cra.Task{Goal: "Close the month", RiskTier: cra.RiskLow},
//	})
//	fmt.Println(res.Decision.Type)
//	jsonl, err := r.Trace(ctx, id, false)
//	report, err := cra.VerifyJSONL(jsonl)
//
// Before running an action of a resolution, the host checks it, and
// afterwards reports the outcome (CARP.md "Checking an action before
// running it"). The binding fills in the request ids and timestamps:
//
//	chk, err := r.CheckAction(cra.CheckRequest{SessionID: id, AgentID: "agent-7",
//		ResolutionID: res.ResolutionID, ActionID: "billing.refund",
//		Parameters: map[string]any{"amount_cents": 500}})
//	if !chk.Approved() { return chk.Reason } // a denial is not an error
//	// ... run the action ...
//	err = r.ReportAction(cra.ReportRequest{SessionID: id, AgentID: "agent-7",
//		ExecutionID: chk.ExecutionID, Duration: time.Since(start)})
//
// A resolution whose decision is DecisionRequiresApproval carries
// Decision.ApprovalID; AnswerApproval records a person's answer to it.
//
// TRACE.md, CARP.md and ABI.md, named in these comments, are
// docs/trace.md, docs/carp.md and docs/abi.md in the libcra repository.
//
// # Errors
//
// Every failing libcra call returns a *Error holding the status code and
// the message of that same call. Test for a kind of failure with
// errors.Is and the sentinels: errors.Is(err, cra.ErrBackpressure).
// Waits that honour a context (AwaitTraceReady, FlushTraces, Trace,
// TraceEvents, AwaitDurable) return ctx.Err() when the context ends first
// (AwaitDurable: the store's ErrIO error when the store was failing). VerifyChain and
// VerifyJSONL return their report together with an error matching
// ErrChainInvalid when a chain is broken.
//
// # Trace modes
//
// Config.TraceMode is the mode of a resolver's sessions: TraceImmediate
// hashes and chains each event before the call returns, TraceDeferred
// queues it for a background thread (wait with AwaitTraceReady,
// FlushTraces or Trace). One session may choose its own mode when it
// begins, so one resolver serves both at once, for instance a session a
// person watches live beside a swarm's deferred ones:
//
//	opts := cra.DefaultSessionOptions() // TraceResolverDefault
//	opts.TraceMode = cra.TraceDeferred
//	id, err := r.BeginSessionWith("agent-7", "Close the month", opts)
//
// BeginSessionWith is an addition of ABI minor 1: ABIMinor() >= 1.
//
// # Durable stores
//
// New keeps traces in memory. OpenResolver takes a store URL as well:
// "sqlite:PATH" keeps them in a single SQLite file, created when missing
// and reopened with every session when present ("" or "memory:" is New's
// memory store). One resolver at a time may have a file open; another
// gets ErrIO.
//
//	r, err := cra.OpenResolver(nil, "sqlite:/var/lib/agent/trace.db?sync=full")
//	...
//	err = r.AwaitDurable(ctx, id) // committed: survives a crash
//	head, err := r.SessionHead(id) // keep it apart from the trace
//
// After a restart, a reopened store's sessions read (Trace) and verify
// (VerifyChain) at once; one that had not ended continues after
// Resume(id, reason), which records session.resumed. StoreStats counts
// what was committed, what waits, and failed commits. A Head kept
// elsewhere detects a trace whose end was cut off: VerifyJSONLHead
// reports ChainTruncated (or ChainHeadMismatch) with ErrChainInvalid.
//
// AwaitDurable waits in slices as AwaitTraceReady does. While the store
// fails, libcra keeps the events and retries, so the wait goes on; when
// ctx ends meanwhile, AwaitDurable returns the store's error (matching
// ErrIO) rather than ctx.Err(), since it says why the events are not
// durable.
//
// # Concurrency and Close
//
// A Resolver may be used by any number of goroutines at once. Close
// drains pending trace events and frees the resolver; it waits for calls
// already in C (waits are sliced into at most 50ms), and every call made
// after it returns an error matching ErrShutdown. Close is idempotent. A
// finalizer frees a forgotten resolver, but do not rely on it: the drain
// it performs can take up to Config.ShutdownTimeout.
//
// # Linking libcra
//
// The build tag cra_pkgconfig chooses how cgo finds cra.h and libcra.
//
// From your own module, build against an installed libcra (its install
// puts cra.h, cra_testing.h, libcra.so.1 and lib/pkgconfig/cra.pc under a
// prefix) with -tags cra_pkgconfig, which reads the flags from
// pkg-config's "cra" package. The module is not published to a module
// proxy: require it and replace it by the bindings/go folder of a libcra
// checkout of the same version. Your go.mod:
//
//	module example.com/agent-host
//
//	go 1.19
//
//	require github.com/cra/libcra-go v1.0.0
//
//	replace github.com/cra/libcra-go => /path/to/libcra/bindings/go
//
// and the build, with the prefix's pkg-config folder (lib/pkgconfig, or
// lib/<multiarch>/pkgconfig on some systems):
//
//	PKG_CONFIG_PATH=/opt/cra/lib/pkgconfig go build -tags cra_pkgconfig -trimpath
//
// The binding uses the standard library only, so this needs no go.sum
// entry and no network. The installed cra.pc links with
// -Wl,-rpath,${libdir}: the program finds libcra.so.1 without
// LD_LIBRARY_PATH, and the only library path it carries is the prefix's
// lib folder, never the checkout's. -trimpath keeps the checkout's path
// out of the program's source file names; only its build information
// (go version -m) still names the replace folder.
//
// Go's build cache does not notice a change of cra.pc (golang/go#24544):
// after installing libcra under another prefix, rebuild with go build -a,
// or the program may keep the old prefix's flags and run path.
//
// Without the tag, the package compiles against the libcra repository it
// lives in: ../../include/cra.h and ../../target/release/libcra.so, built
// by scripts/build-lib.sh (scripts/test-go.sh builds it and runs the
// tests). That build is for working inside the repository: it records
// that checkout's target/release as the rpath, so its programs break when
// the checkout moves or is cleaned. Modules outside the repository use
// cra_pkgconfig.
//
// When the build fails:
//
//   - "cra.h not found": outside the repository, add -tags cra_pkgconfig;
//     with it, cra.pc's includedir lacks the header.
//   - "Package cra was not found in the pkg-config search path": point
//     PKG_CONFIG_PATH at the folder holding cra.pc.
//   - "cannot find -lcra": with the tag, cra.pc's libdir lacks libcra.so;
//     without it, run scripts/build-lib.sh in the checkout.
package cra
