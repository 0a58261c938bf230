package cra

// #include <cra.h>
import "C"

import (
	"fmt"
	"math"
	"time"
)

// TraceMode says when a resolver, or one session (SessionOptions), hashes
// and chains trace events (cra_config.trace_mode,
// cra_session_options.trace_mode).
type TraceMode uint32

const (
	// TraceImmediate hashes and chains events on the calling goroutine's
	// thread: the trace is complete when the call returns (the default).
	TraceImmediate TraceMode = C.CRA_TRACE_IMMEDIATE
	// TraceDeferred pushes raw events into a bounded buffer that a
	// background thread hashes and chains; wait for them with
	// AwaitTraceReady, FlushTraces or Trace.
	TraceDeferred TraceMode = C.CRA_TRACE_DEFERRED
	// TraceResolverDefault is for SessionOptions only: the session takes
	// the resolver's mode (Config.TraceMode). New refuses it as a
	// Config.TraceMode with ErrInvalidArgument.
	TraceResolverDefault TraceMode = C.CRA_TRACE_RESOLVER_DEFAULT
)

// String returns "immediate", "deferred", "resolver-default" or
// "TraceMode(n)".
func (m TraceMode) String() string {
	switch m {
	case TraceImmediate:
		return "immediate"
	case TraceDeferred:
		return "deferred"
	case TraceResolverDefault:
		return "resolver-default"
	}
	return fmt.Sprintf("TraceMode(%d)", uint32(m))
}

// Backpressure says what a deferred resolver does when its buffer cannot
// take an operation's events (cra_config.backpressure).
type Backpressure uint32

const (
	// BackpressureError fails the operation at once with ErrBackpressure
	// (the default).
	BackpressureError Backpressure = C.CRA_BACKPRESSURE_ERROR
	// BackpressureBlock waits up to Config.BlockTimeout for room, then
	// fails with ErrBackpressure. The calling goroutine stays in C while
	// it waits.
	BackpressureBlock Backpressure = C.CRA_BACKPRESSURE_BLOCK
)

// String returns "error", "block" or "Backpressure(n)".
func (b Backpressure) String() string {
	switch b {
	case BackpressureError:
		return "error"
	case BackpressureBlock:
		return "block"
	}
	return fmt.Sprintf("Backpressure(%d)", uint32(b))
}

// Config holds the settings of a resolver; it mirrors struct cra_config,
// with durations as time.Duration. Start from DefaultConfig and change
// the fields you need. libcra checks the ranges (given per field) in New
// and reports a value out of range as ErrInvalidArgument naming it.
type Config struct {
	// TraceMode is TraceImmediate (default) or TraceDeferred: the mode of
	// every session that does not choose its own (BeginSessionWith).
	TraceMode TraceMode
	// BufferCapacity is how many events the deferred buffer holds:
	// 16 to 16777216; default 4096. Deferred mode allocates 64 bytes per
	// event of capacity when the resolver is created.
	BufferCapacity uint32
	// Backpressure is BackpressureError (default) or BackpressureBlock.
	Backpressure Backpressure
	// BlockTimeout is how long BackpressureBlock waits for room, in whole
	// milliseconds: 0 to 60s; default 100ms.
	BlockTimeout time.Duration
	// TTL is the lifetime of a resolution, in whole seconds: 1s to 7
	// days; default 1h.
	TTL time.Duration
	// ClockSkew is how far a request's timestamp may be from the
	// resolver's clock, in whole seconds: 0 (unchecked) to 24h; default 5m.
	ClockSkew time.Duration
	// ShutdownTimeout is how long Close drains the deferred buffer, in
	// whole milliseconds: 0 to 10m; default 5s.
	ShutdownTimeout time.Duration
}

// DefaultConfig returns libcra's defaults (from cra_config_init):
// immediate mode, a 4096-event buffer, BackpressureError, 100ms block
// timeout, 1h TTL, 5m clock skew and 5s shutdown timeout.
func DefaultConfig() Config {
	var c C.cra_config
	C.cra_config_init(&c)
	return Config{
		TraceMode:       TraceMode(c.trace_mode),
		BufferCapacity:  uint32(c.buffer_capacity),
		Backpressure:    Backpressure(c.backpressure),
		BlockTimeout:    time.Duration(c.block_timeout_ms) * time.Millisecond,
		TTL:             time.Duration(c.ttl_seconds) * time.Second,
		ClockSkew:       time.Duration(c.clock_skew_seconds) * time.Second,
		ShutdownTimeout: time.Duration(c.shutdown_timeout_ms) * time.Millisecond,
	}
}

// toC converts the settings into a cra_config initialised by
// cra_config_init (so struct_size is right). Durations must be whole
// units and fit in 32 bits; libcra checks the ranges.
func (cfg *Config) toC() (C.cra_config, error) {
	var c C.cra_config
	C.cra_config_init(&c)
	c.trace_mode = C.uint32_t(cfg.TraceMode)
	c.buffer_capacity = C.uint32_t(cfg.BufferCapacity)
	c.backpressure = C.uint32_t(cfg.Backpressure)
	fields := []struct {
		name  string
		value time.Duration
		unit  time.Duration
		out   *C.uint32_t
	}{
		{"BlockTimeout", cfg.BlockTimeout, time.Millisecond, &c.block_timeout_ms},
		{"TTL", cfg.TTL, time.Second, &c.ttl_seconds},
		{"ClockSkew", cfg.ClockSkew, time.Second, &c.clock_skew_seconds},
		{"ShutdownTimeout", cfg.ShutdownTimeout, time.Millisecond, &c.shutdown_timeout_ms},
	}
	for _, f := range fields {
		n, err := units(f.name, f.value, f.unit)
		if err != nil {
			return c, err
		}
		*f.out = C.uint32_t(n)
	}
	return c, nil
}

// units returns d as a whole number of unit, or ErrInvalidArgument when
// it is negative, not whole, or does not fit a uint32.
func units(name string, d, unit time.Duration) (uint32, error) {
	if d < 0 || d%unit != 0 || d/unit > math.MaxUint32 {
		return 0, newError(StatusInvalidArgument, "cra_resolver_new",
			fmt.Sprintf("config %s %v is not a whole number of %v between 0 and %d of them", name, d, unit, uint32(math.MaxUint32)))
	}
	return uint32(d / unit), nil
}

// SessionOptions holds the settings of one session (BeginSessionWith); it
// mirrors struct cra_session_options. Start from DefaultSessionOptions and
// change the fields you need: as with Config, the zero value is not the
// defaults, because TraceImmediate is TraceMode's zero value, so
// SessionOptions{} traces the session immediately whatever the resolver's
// mode.
type SessionOptions struct {
	// TraceMode is TraceResolverDefault (default: the resolver's
	// Config.TraceMode), TraceImmediate or TraceDeferred. It is fixed for
	// the session's life. One resolver serves sessions of both modes at
	// once: a session a person watches live can be immediate (always
	// ready) beside a swarm's deferred ones. A deferred session of an
	// immediate resolver starts libcra's background trace processor when
	// it begins. AwaitTraceReady, FlushTraces and Trace work for both
	// modes.
	TraceMode TraceMode
}

// DefaultSessionOptions returns libcra's defaults (from
// cra_session_options_init): TraceMode TraceResolverDefault.
func DefaultSessionOptions() SessionOptions {
	var c C.cra_session_options
	C.cra_session_options_init(&c)
	return SessionOptions{TraceMode: TraceMode(c.trace_mode)}
}

// toC converts the options into a cra_session_options initialised by
// cra_session_options_init (so struct_size is right); libcra checks the
// values.
func (o *SessionOptions) toC() C.cra_session_options {
	var c C.cra_session_options
	C.cra_session_options_init(&c)
	c.trace_mode = C.uint32_t(o.TraceMode)
	return c
}
