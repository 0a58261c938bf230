/**
 * @cra/libcra — Node.js binding of libcra's C ABI (version 1).
 *
 * libcra decides what AI agents may do (CARP/1.0) and records every
 * decision in a per-session SHA-256 hash chain (TRACE/1.0).
 */

/// <reference types="node" />

// ---------------------------------------------------------------- statuses

/** Success. */
export declare const CRA_OK: 0;
/** NULL, bad UTF-8, malformed id, out-of-range config value. */
export declare const CRA_ERR_INVALID_ARGUMENT: 1;
/** The input is not valid JSON (or holds NaN/Infinity). */
export declare const CRA_ERR_INVALID_JSON: 2;
/** The atlas breaks CARP.md; the resolver is unchanged. */
export declare const CRA_ERR_INVALID_ATLAS: 3;
/** The request breaks CARP.md; nothing was recorded. */
export declare const CRA_ERR_INVALID_REQUEST: 4;
/** Unknown session, atlas, capability or resolution. */
export declare const CRA_ERR_NOT_FOUND: 5;
/** Atlas or action id already loaded; request id reused in the session. */
export declare const CRA_ERR_CONFLICT: 6;
/** The session has ended. */
export declare const CRA_ERR_SESSION_ENDED: 7;
/** The request's agent does not own the session. */
export declare const CRA_ERR_PERMISSION: 8;
/** The trace buffer cannot take the operation's events: nothing was recorded; retry later. */
export declare const CRA_ERR_BACKPRESSURE: 9;
/** A wait ran out. */
export declare const CRA_ERR_TIMEOUT: 10;
/** Verification found a broken chain (reported, not thrown, by verifyChain/verifyJsonl). */
export declare const CRA_ERR_CHAIN_INVALID: 11;
/** Reading or writing a file failed. */
export declare const CRA_ERR_IO: 12;
/** The resolver is closed or shutting down, or its trace processor stopped. */
export declare const CRA_ERR_SHUTDOWN: 13;
/** A bug in libcra, including a caught panic. */
export declare const CRA_ERR_INTERNAL: 14;

/** Every status by its C name. */
export declare const Status: Readonly<{
  CRA_OK: 0;
  CRA_ERR_INVALID_ARGUMENT: 1;
  CRA_ERR_INVALID_JSON: 2;
  CRA_ERR_INVALID_ATLAS: 3;
  CRA_ERR_INVALID_REQUEST: 4;
  CRA_ERR_NOT_FOUND: 5;
  CRA_ERR_CONFLICT: 6;
  CRA_ERR_SESSION_ENDED: 7;
  CRA_ERR_PERMISSION: 8;
  CRA_ERR_BACKPRESSURE: 9;
  CRA_ERR_TIMEOUT: 10;
  CRA_ERR_CHAIN_INVALID: 11;
  CRA_ERR_IO: 12;
  CRA_ERR_SHUTDOWN: 13;
  CRA_ERR_INTERNAL: 14;
}>;

/** A status name, as `cra_status_name` returns it. */
export type StatusName = keyof typeof Status | 'CRA_UNKNOWN';

/** The C name of a status code from the binding's table; 'CRA_UNKNOWN' for others. */
export declare function statusName(code: number): StatusName;

/**
 * A failed libcra call (or a call on a closed resolver).
 * `code` is the numeric status, `status` its name, `message` the
 * library's explanation of that very call.
 */
export declare class CraError extends Error {
  constructor(code: number, message: string, status?: string);
  readonly name: 'CraError';
  /** Numeric status, e.g. 9 for CRA_ERR_BACKPRESSURE. */
  code: number;
  /** Status name, e.g. 'CRA_ERR_BACKPRESSURE'. */
  status: StatusName | string;
}

// ------------------------------------------------------------------ config

/** `trace_mode` values. */
export declare const TraceMode: Readonly<{ immediate: 0; deferred: 1 }>;
/** `backpressure` values. */
export declare const Backpressure: Readonly<{ error: 0; block: 1 }>;

/**
 * Resolver settings: `cra_config` members in camelCase. Omitted fields
 * keep `cra_config_init`'s defaults (see {@link defaultConfig}).
 */
export interface ResolverConfig {
  /** 'immediate' (default): hash on the caller's thread; 'deferred': a background thread hashes. */
  traceMode?: keyof typeof TraceMode | 0 | 1;
  /** Events the deferred buffer holds: 16 to 16777216; default 4096. Deferred mode allocates 64 bytes per event of capacity when the resolver is created. */
  bufferCapacity?: number;
  /** Full buffer: 'error' (default) fails at once; 'block' waits up to blockTimeoutMs. */
  backpressure?: keyof typeof Backpressure | 0 | 1;
  /** How long 'block' waits: 0 to 60000; default 100. */
  blockTimeoutMs?: number;
  /** Resolution lifetime: 1 to 604800; default 3600. */
  ttlSeconds?: number;
  /** Request timestamp tolerance: 0 (unchecked) to 86400; default 300. */
  clockSkewSeconds?: number;
  /** How long close() drains the deferred buffer: 0 to 600000; default 5000. */
  shutdownTimeoutMs?: number;
  /** libcra.so to load (binding option, see {@link loadLibrary}). */
  libraryPath?: string;
  /**
   * Where the trace goes (binding option; `cra_resolver_open`). Omitted:
   * memory (`cra_resolver_new`). `''` or `'memory:'`: memory too.
   * `'sqlite:PATH'`: a durable SQLite file, created when missing and
   * reopened with every session when present; parameters `?sync=full`
   * (fsync every commit) and `max_waiting_mb=N` (bound on the event text
   * waiting for the file, default 64), e.g.
   * `'sqlite:/var/lib/agent/trace.db?sync=full'`. `'postgres://…'` is not
   * in this build (CRA_ERR_IO). One resolver per file: another one throws
   * CRA_ERR_IO. A bad URL throws CRA_ERR_INVALID_ARGUMENT.
   */
  storeUrl?: string;
}

/** The defaults of `cra_config_init`. */
export interface DefaultConfig {
  traceMode: keyof typeof TraceMode;
  bufferCapacity: number;
  backpressure: keyof typeof Backpressure;
  blockTimeoutMs: number;
  ttlSeconds: number;
  clockSkewSeconds: number;
  shutdownTimeoutMs: number;
}

/** `cra_config_init`'s defaults, camelCased. */
export declare function defaultConfig(): DefaultConfig;

/**
 * Settings of one session (`cra_session_options`), for
 * {@link Resolver.beginSession}. Omitted fields keep
 * `cra_session_options_init`'s defaults. Unknown names throw a TypeError.
 */
export interface SessionOptions {
  /**
   * How this session is traced, fixed for its life. Omitted (default): the
   * resolver's `traceMode`. 'immediate': hashed on the caller's thread,
   * always ready; 'deferred': a background thread hashes (the first
   * deferred session of an immediate resolver starts it). An unknown name
   * throws a RangeError, a number libcra does not know CraError
   * CRA_ERR_INVALID_ARGUMENT.
   */
  traceMode?: keyof typeof TraceMode | 0 | 1;
}

// ---------------------------------------------------------------- CARP/1.0

export type RiskTier = 'low' | 'medium' | 'high' | 'critical';

/** A CARP/1.0 request (see CARP.md). */
export interface CarpRequest {
  carp_version: '1.0';
  request_id: string;
  /** RFC 3339, e.g. `new Date().toISOString()`. */
  timestamp: string;
  operation: 'resolve' | (string & {});
  requester: { agent_id: string; session_id: string; parent_session_id?: string | null };
  task: {
    goal: string;
    risk_tier?: RiskTier;
    context_hints?: string[];
    required_capabilities?: string[];
  };
  atlas_ids?: string[];
  context?: Record<string, unknown>;
}

export interface AllowedAction {
  action_id: string;
  name: string;
  description: string;
  parameters_schema: unknown;
  returns_schema: unknown;
  risk_tier: RiskTier;
  requires_confirmation: boolean;
  idempotent: boolean;
}

export interface DeniedAction {
  action_id: string;
  reason: string;
  policy_id: string;
}

export interface ContextBlock {
  block_id: string;
  source: string;
  content_type: string;
  content: string;
  priority: number;
  token_estimate: number;
}

export interface Constraint {
  constraint_id: string;
  type: string;
  parameters: Record<string, unknown>;
}

/** A CARP/1.0 resolution (see CARP.md). */
export interface Resolution {
  carp_version: '1.0';
  resolution_id: string;
  request_id: string;
  timestamp: string;
  decision: {
    type: 'allow' | 'deny' | 'partial' | 'requires_approval';
    reason: string | null;
    approval_id: string | null;
    expires_at: string | null;
  };
  context_blocks: ContextBlock[];
  allowed_actions: AllowedAction[];
  denied_actions: DeniedAction[];
  constraints: Constraint[];
  ttl_seconds: number;
  trace_id: string;
}

/** Options of {@link Resolver.checkAction}: a CARP/1.0 `check_action` request without its envelope. */
export interface CheckActionOptions {
  sessionId: string;
  agentId: string;
  /** `resolution_id` of a resolution of the session. */
  resolutionId: string;
  /** One of that resolution's allowed actions. */
  actionId: string;
  /** The action's arguments, checked against its `parameters_schema`. Omitted / null: `{}`. */
  parameters?: Record<string, unknown> | null;
}

/** libcra's answer to {@link Resolver.checkAction} (the CARP/1.0 check result, camelCased). */
export interface CheckResult {
  carpVersion: '1.0';
  /** The request id checkAction generated. */
  requestId: string;
  decision: 'approved' | 'denied';
  /** `decision === 'approved'`: the action may run. */
  approved: boolean;
  actionId: string;
  /** Identifies an approved check, for {@link Resolver.reportAction}; null when denied. */
  executionId: string | null;
  /** Why the check was denied (CARP.md's rules); null when approved. */
  reason: string | null;
  /** The policy that denied it; null when approved or denied by a rule that is not a policy. */
  policyId: string | null;
  /** Lower-case hex SHA-256 of the parameters' canonical JSON. */
  parametersHash: string;
}

/** The answer of {@link Resolver.answerApproval}. */
export interface ApprovalAnswer {
  granted: boolean;
  /** Who answered; not empty. */
  approver: string;
  reason?: string | null;
}

/** Options of {@link Resolver.reportAction}: a CARP/1.0 `report_action` request without its envelope. */
export interface ReportActionOptions {
  sessionId: string;
  agentId: string;
  /** The approved check's `executionId`. */
  executionId: string;
  status: 'executed' | 'failed';
  /** How long the action ran, in whole milliseconds (a non-negative integer). */
  durationMs: number;
  /** Required exactly when `status` is 'failed'. */
  errorCode?: string | null;
  /** Required exactly when `status` is 'failed'. */
  errorMessage?: string | null;
  /** The action's result; only its hash is recorded. */
  result?: Record<string, unknown> | null;
}

// --------------------------------------------------------------- TRACE/1.0

/** One TRACE/1.0 event (see TRACE.md). */
export interface TraceEvent {
  trace_version: '1.0';
  event_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  session_id: string;
  sequence: number;
  timestamp: string;
  event_type: string;
  payload: Record<string, unknown>;
  event_hash: string;
  previous_event_hash: string;
}

/** Failure kinds of a chain, as TRACE.md names them. */
export type ChainFailureKind =
  | 'malformed'
  | 'sequence_gap'
  | 'chain_broken'
  | 'hash_mismatch'
  | 'session_mismatch'
  | 'truncated'
  | 'head_mismatch'
  | 'unknown';

/** `CRA_CHAIN_*` values by failure kind. */
export declare const ChainFailure: Readonly<{
  malformed: 1;
  sequence_gap: 2;
  chain_broken: 3;
  hash_mismatch: 4;
  session_mismatch: 5;
  /** Fewer events than the head counts: the chain's end was cut off. */
  truncated: 6;
  /** The event the head names has another hash than the head. */
  head_mismatch: 7;
}>;

/** The outcome of verifyChain / verifyJsonl / verifyJsonlHead (`cra_verify_report`). */
export interface VerifyReport {
  /** Whether every chain checked is valid. */
  valid: boolean;
  /** Events checked. */
  events: number;
  /** Events emitted but not yet processed (deferred mode; verifyChain only). */
  pending: number;
  /** 0-based index of the first bad event (among non-empty lines for JSONL); -1 when valid. */
  firstBadIndex: number;
  /** null when valid. */
  failure: ChainFailureKind | null;
  /** `event_hash` of the last valid event; '' if none. */
  headHash: string;
  /** The library's explanation when invalid; null when valid. */
  message: string | null;
}

/** Resolver counters (`cra_stats`). */
export interface Stats {
  eventsEmitted: number;
  eventsProcessed: number;
  eventsRejected: number;
  queueDepth: number;
  queueCapacity: number;
  queueHighWater: number;
  sessionsActive: number;
}

/** Counters of a resolver's store (`cra_store_stats`). */
export interface StoreStats {
  /** Events committed to the store (with the memory store: stored). */
  eventsDurable: number;
  /** Events ready (sealed, readable) and not yet committed. */
  eventsWaiting: number;
  /** Transactions committed. */
  commits: number;
  /** Failed commits, each retried. */
  writeErrors: number;
  /** Sessions held in memory, active or ended. */
  sessionsInMemory: number;
  /** Sessions that left memory, all their events committed (still readable from the store). */
  sessionsEvicted: number;
  /** Bytes of event text held in memory until committed. */
  residentEventBytes: number;
}

/**
 * A session's head (`cra_head`): how many events its chain has and the
 * last one's `event_hash`. Keep it apart from the trace to detect later
 * that the trace's end was cut off ({@link verifyJsonlHead}).
 */
export interface Head {
  /** Events in the chain. */
  events: number;
  /** The last event's `event_hash`: 64 lowercase hex digits; 64 zeros for none. */
  headHash: string;
}

/** A head given to {@link verifyJsonlHead}: `events` may be a bigint too. */
export interface HeadInput {
  events: number | bigint;
  headHash: string;
}

export interface WaitOptions {
  /** Milliseconds to wait (0 to 4294967295); default 5000. 0 checks once. */
  timeoutMs?: number;
}

export interface TraceOptions extends WaitOptions {
  /** Return the events stored so far at once instead of waiting. Default false. */
  partial?: boolean;
}

/** Timeout of the waiting calls when none is given: 5000 ms. */
export declare const DEFAULT_TIMEOUT_MS: number;

// ---------------------------------------------------------------- Resolver

/**
 * A libcra resolver: atlases, sessions, resolutions and their traces.
 * Synchronous except the waiting methods, which return Promises and wait
 * on a libuv worker thread. Failures throw / reject with {@link CraError};
 * a wrong JS type is a TypeError, a number that does not fit its C type a
 * RangeError. Disposable: `using resolver = new Resolver()` closes it at
 * the end of the block.
 */
export declare class Resolver {
  /**
   * `cra_resolver_new`, or `cra_resolver_open` with `config.storeUrl`.
   * @throws {CraError} CRA_ERR_INVALID_ARGUMENT for an out-of-range setting
   * or a bad store URL; CRA_ERR_IO when the store cannot be opened (or
   * another resolver has its file open).
   */
  constructor(config?: ResolverConfig);
  /** Whether close() has been called. */
  readonly closed: boolean;
  /**
   * `cra_resolver_free`: drains the deferred buffer (up to
   * shutdownTimeoutMs) and frees everything. Idempotent. Afterwards every
   * method throws CraError CRA_ERR_SHUTDOWN.
   */
  close(): void;
  /**
   * close(), so that `using` (and `await using`) closes the resolver.
   * Synchronous on purpose: close() finishes its work before returning, so
   * there is no `Symbol.asyncDispose`. Present where the runtime has
   * `Symbol.dispose` (every Node version this package supports).
   */
  [Symbol.dispose](): void;

  /** Loads an Atlas/1.0 manifest given as JSON text (inline context only). */
  loadAtlas(json: string | Uint8Array): void;
  /** Loads an Atlas/1.0 manifest file; context `files` are read relative to it. */
  loadAtlasFile(path: string | URL): void;
  /** Unloads an atlas with its actions, policies and context packs. */
  unloadAtlas(atlasId: string): void;

  /**
   * Begins a session; returns its id (36 characters). Traced in the
   * resolver's mode unless `options.traceMode` chooses one for this
   * session (`cra_session_begin_with`): one resolver serves immediate and
   * deferred sessions at once, and the waits work for both. Throws
   * CRA_ERR_INVALID_ARGUMENT, CRA_ERR_BACKPRESSURE (deferred session, full
   * buffer), CRA_ERR_INTERNAL (the trace processor cannot start).
   */
  beginSession(agentId: string, goal: string, options?: SessionOptions | null): string;
  /** Ends a session; its trace stays readable. */
  endSession(sessionId: string, reason: string): void;

  /** Resolves a CARP/1.0 request (object or JSON text) and parses the resolution. */
  resolve(request: CarpRequest | string | Uint8Array): Resolution;
  /** Resolves a CARP/1.0 request and returns the resolution's JSON text. */
  resolveRaw(request: CarpRequest | string | Uint8Array): string;

  /**
   * Checks an action before running it (`cra_check_action`): decides again
   * now, charges rate limits and budgets when approved, records the
   * attempt. A denial is a result (`approved: false`), not an error.
   * Fills in the request id and timestamp. Synchronous, like resolve().
   */
  checkAction(options: CheckActionOptions): CheckResult;
  /**
   * Answers a resolution's approval (`decision.approval_id`) once.
   * Throws CRA_ERR_NOT_FOUND (unknown approval), CRA_ERR_CONFLICT
   * (answered already, or expired). Synchronous.
   */
  answerApproval(sessionId: string, approvalId: string, answer: ApprovalAnswer): void;
  /**
   * Reports the outcome of an approved check, once per execution id
   * (CRA_ERR_CONFLICT the second time, CRA_ERR_NOT_FOUND for an unknown
   * one). Synchronous.
   */
  reportAction(options: ReportActionOptions): void;

  /** Whether every event of the session emitted so far is stored. Never waits. */
  isTraceReady(sessionId: string): boolean;
  /** Waits (off the main thread) until the session's events emitted before the call are stored. */
  awaitTraceReady(sessionId: string, options?: WaitOptions): Promise<void>;
  /** Waits (off the main thread) until every session's events emitted before the call are stored. */
  flushTraces(options?: WaitOptions): Promise<void>;
  /**
   * Waits (off the main thread) until the events emitted before the call,
   * of `sessionId` or (omitted / null) of every session, are committed to
   * the store. With the memory store it is awaitTraceReady / flushTraces.
   * Rejects with CRA_ERR_TIMEOUT, or CRA_ERR_IO carrying the store's error
   * when the time ran out while the store was failing (the events stay
   * queued and are retried).
   */
  awaitDurable(sessionId?: string | null, options?: WaitOptions): Promise<void>;
  /** `awaitDurable(undefined, options)`: every session. */
  awaitDurable(options: WaitOptions): Promise<void>;
  /**
   * Continues a session still open when the store's last resolver stopped,
   * recording `session.resumed`. Throws CRA_ERR_NOT_FOUND (unknown, or a
   * memory store), CRA_ERR_SESSION_ENDED, CRA_ERR_CONFLICT (already active),
   * CRA_ERR_IO.
   */
  resume(sessionId: string, reason: string): void;
  /** The session's head: its stored events and the last one's hash. */
  sessionHead(sessionId: string): Head;
  /** The counters of the resolver's store. */
  storeStats(): StoreStats;
  /**
   * The session's trace: TRACE/1.0 JSON Lines text, byte for byte as libcra
   * wrote it (verify and archive this). Waits for readiness unless `partial`.
   */
  getTrace(sessionId: string, options?: TraceOptions): Promise<string>;
  /**
   * The session's trace parsed into events, one per line. JSON.parse rounds
   * integers beyond 2^53, so verify and archive {@link getTrace}'s text.
   */
  getTraceEvents(sessionId: string, options?: TraceOptions): Promise<TraceEvent[]>;
  /**
   * The former name of {@link getTrace}: the same JSON Lines text.
   * @deprecated Use {@link getTrace}.
   */
  getTraceJsonl(sessionId: string, options?: TraceOptions): Promise<string>;

  /** Verifies the session's stored chain; a broken chain is reported, not thrown. */
  verifyChain(sessionId: string): VerifyReport;
  /** The resolver's counters. */
  stats(): Stats;
}

// ------------------------------------------------------------ free functions

/** Verifies TRACE/1.0 JSON Lines of one or more sessions; needs no resolver. */
export declare function verifyJsonl(jsonl: string | Uint8Array): VerifyReport;
/**
 * Verifies one session's TRACE/1.0 JSON Lines like {@link verifyJsonl},
 * then against a head kept from earlier ({@link Resolver.sessionHead}):
 * fewer events is failure 'truncated', another hash 'head_mismatch'; more
 * events is valid (the chain grew). Throws CraError
 * CRA_ERR_INVALID_ARGUMENT for text of more than one session or a head
 * hash that is not 64 lowercase hex digits.
 */
export declare function verifyJsonlHead(jsonl: string | Uint8Array, head: HeadInput): VerifyReport;

/** `cra_abi_version()` of the loaded library (1). */
export declare function abiVersion(): number;
/**
 * `cra_abi_minor()` of the loaded library (1): which additions to ABI
 * version 1 it has. Minor 1: durable stores, heads, action checks,
 * approvals, outcome reports, per-session trace mode.
 */
export declare function abiMinor(): number;
/** `cra_version()` of the loaded library, e.g. "1.0.0" (its major number is the ABI version). */
export declare function version(): string;

/** The ABI version this binding targets (1). */
export declare const ABI_VERSION: 1;
/**
 * The library bundled in a packed package (scripts/pack-node.sh):
 * `prebuilds/<process.platform>-<process.arch>/libcra.so.1` under the
 * package root, e.g. `prebuilds/linux-x64/libcra.so.1`.
 */
export declare const PREBUILT_LIBRARY_PATH: string;
/** `<repo>/target/release/libcra.so`, i.e. `../../target/release/libcra.so` from this package. */
export declare const DEFAULT_LIBRARY_PATH: string;
/** The installed library's name, `libcra.so.1`, which the system loader finds. */
export declare const SYSTEM_LIBRARY: 'libcra.so.1';

/** Opaque handle to the loaded library's declarations. */
export interface LoadedLibrary {
  /** The file that was loaded. */
  readonly path: string;
}

/**
 * Loads libcra once per process (otherwise done on first use): `options.path`,
 * else `$CRA_LIBRARY_PATH`, and then only that (a path is loaded from there,
 * a bare name such as `libcra.so.1` is found by the system loader). With
 * neither, the first that loads of: the library bundled in the package
 * ({@link PREBUILT_LIBRARY_PATH}), the repository build
 * ({@link DEFAULT_LIBRARY_PATH}), the installed {@link SYSTEM_LIBRARY}.
 * Throws, naming every attempt, if none loads; also if its ABI is not 1, or
 * another library is already loaded.
 */
export declare function loadLibrary(options?: { path?: string }): LoadedLibrary;

/**
 * How many waiting calls may hold libuv pool threads at once, process-wide
 * (default: half of UV_THREADPOOL_SIZE, i.e. 2); further waits queue in JS.
 */
export declare function setMaxConcurrentWaits(n: number): void;
/** The current limit of {@link setMaxConcurrentWaits}. */
export declare function getMaxConcurrentWaits(): number;
