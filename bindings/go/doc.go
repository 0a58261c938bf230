// Package cra is the Go binding of libcra, over its C ABI (include/cra.h,
// ABI version 1).
//
// libcra decides what an AI agent may do and records every decision in a
// per-session SHA-256 hash chain. A host loads atlases (actions, policies
// and context; CARP.md), begins a session per agent, resolves CARP/1.0
// requests, and reads or verifies the session's TRACE/1.0 events:
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
// # Errors
//
// Every failing libcra call returns a *Error holding the status code and
// the message of that same call. Test for a kind of failure with
// errors.Is and the sentinels: errors.Is(err, cra.ErrBackpressure).
// Waits that honour a context (AwaitTraceReady, FlushTraces, Trace)
// return ctx.Err() when the context ends first. VerifyChain and
// VerifyJSONL return their report together with an error matching
// ErrChainInvalid when a chain is broken.
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
// By default the package compiles against the repository it lives in:
// the header in ../../include and the library in ../../target/release,
// built by scripts/build-lib.sh. The library's directory is recorded as an
// rpath, so tests and programs run without LD_LIBRARY_PATH.
//
// To use an installed libcra instead (say /usr/local/include/cra.h and
// /usr/local/lib/libcra.so.1), build with the cra_pkgconfig tag, which
// replaces those flags by "#cgo pkg-config: cra":
//
//	go build -tags cra_pkgconfig ./...
//
// It needs a cra.pc that pkg-config can find (PKG_CONFIG_PATH), such as:
//
//	prefix=/usr/local
//	libdir=${prefix}/lib
//	includedir=${prefix}/include
//
//	Name: cra
//	Description: libcra, governs what AI agents may do
//	Version: 0.1.0
//	Cflags: -I${includedir}
//	Libs: -L${libdir} -lcra -Wl,-rpath,${libdir}
package cra
