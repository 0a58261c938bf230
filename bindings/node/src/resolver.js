/**
 * `Resolver`: one `cra_resolver *` with its atlases, sessions and traces.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { callAsync, callSync, whenWaitSlotFree } from './calls.js';
import { toNativeConfig, toNativeSessionOptions } from './config.js';
import { CRA_ERR_SHUTDOWN, CraError } from './errors.js';
import { loadLibrary, native } from './lib.js';
import { allocBuf, freeBuf, readBuf } from './memory.js';
import { toCString, toSized, toTimeoutMs } from './text.js';
import { checkRequestJson, parseCheckResult, reportRequestJson } from './actions.js';
import { runVerification } from './verify.js';

/** Timeout of the waiting calls when none is given, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000;

const CRA_TRACE_WAIT = 0;
const CRA_TRACE_PARTIAL = 1;
const CRA_ID_BUF_LEN = 37;

/**
 * The native handle and its lifetime, kept apart from the Resolver object
 * so the FinalizationRegistry can free it without keeping the Resolver
 * alive. `cra_resolver_free` must be the last call on the handle, so it
 * waits for asynchronous calls still running on worker threads.
 */
class NativeResolver {
  /** @param {bigint} ptr */
  constructor(ptr) {
    this.ptr = ptr;
    this.closed = false;
    this.freed = false;
    this.held = false;
    this.inFlight = 0;
  }

  /**
   * The pointer for a call, or a CraError CRA_ERR_SHUTDOWN once closed.
   * @param {string} operation method name, for the message
   */
  use(operation) {
    if (this.closed) {
      throw new CraError(
        CRA_ERR_SHUTDOWN,
        `Resolver.${operation}: the resolver is closed (close() was called)`,
      );
    }
    return this.ptr;
  }

  /** Marks an asynchronous call as running on a worker thread. */
  enter(/** @type {string} */ operation) {
    const ptr = this.use(operation);
    this.inFlight += 1;
    return ptr;
  }

  /** Marks it as returned; frees the handle if close() is waiting for it. */
  leave() {
    this.inFlight -= 1;
    if (this.closed && this.inFlight === 0) this.free();
  }

  /**
   * Test support (`cra_test_hold_processor`, reached through
   * src/testing.js only): while held, the deferred processor stores nothing.
   * Remembered so that close() can release it.
   * @param {string} operation the caller's name, for the message
   * @param {boolean} hold
   */
  holdProcessor(operation, hold) {
    const ptr = this.use(operation);
    callSync(native().cra_test_hold_processor, [ptr, hold]);
    this.held = hold;
  }

  /** Refuses new calls; frees now, or when the last running wait returns. */
  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.held) {
      // Let waits blocked on a held processor finish before their timeout.
      // Best effort (err NULL): this may run inside a GC finalizer.
      this.held = false;
      native().cra_test_hold_processor(this.ptr, false, null);
    }
    if (this.inFlight === 0) this.free();
  }

  free() {
    if (this.freed) return;
    this.freed = true;
    native().cra_resolver_free(this.ptr);
  }
}

/**
 * Reads a resolver's private native handle, for package-internal modules
 * (src/testing.js) that the public class does not expose. Assigned by the
 * Resolver class's static block, hence declared before the class.
 * @type {(resolver: Resolver) => NativeResolver}
 */
let nativeHandleOf;

/** Frees resolvers that were garbage-collected without close(). */
const finalizer = new FinalizationRegistry((/** @type {NativeResolver} */ handle) => {
  handle.close();
});

/**
 * A libcra resolver: loads atlases, runs sessions, resolves CARP/1.0
 * requests and keeps each session's TRACE/1.0 hash chain.
 *
 * Every method is synchronous except the waiting ones (`awaitTraceReady`,
 * `flushTraces`, `awaitDurable`, `getTrace`, `getTraceEvents`), which return Promises and
 * wait on a libuv worker thread so the event loop keeps running.
 * Failures throw (or reject with) a {@link CraError}.
 *
 * Call {@link Resolver#close} when done, or declare it with `using` (it is
 * Disposable where the runtime has `Symbol.dispose`); a resolver that is
 * garbage collected unclosed is freed by a FinalizationRegistry, as a
 * safety net only (when that happens is up to the GC).
 */
export class Resolver {
  /** @type {NativeResolver} */
  #handle;

  /**
   * Creates a resolver (`cra_resolver_new`); in deferred mode this starts
   * the background trace processor. With `storeUrl` it is
   * `cra_resolver_open`, and the trace goes to that store:
   * `'sqlite:PATH'` (a durable SQLite file, created when missing and
   * reopened with every session when present; parameters `?sync=full`,
   * `max_waiting_mb=N`), `'memory:'` or `''` (memory, as without it).
   * One resolver per file: opening a file another resolver has open
   * throws CRA_ERR_IO.
   *
   * @param {import('../index.js').ResolverConfig} [config] cra_config
   *   fields in camelCase (defaults from `cra_config_init`), plus
   *   `libraryPath` to choose libcra.so (see `loadLibrary`) and
   *   `storeUrl` to choose the trace store
   * @throws {CraError} CRA_ERR_INVALID_ARGUMENT for an out-of-range setting
   *   or a bad store URL; CRA_ERR_IO when the store cannot be opened
   */
  constructor(config = {}) {
    if (config && typeof config === 'object' && config.libraryPath !== undefined) {
      loadLibrary({ path: config.libraryPath });
    }
    const raw = toNativeConfig(config);
    const storeUrl =
      config.storeUrl === undefined ? undefined : toCString(config.storeUrl, 'storeUrl');
    /** @type {[bigint | null]} */
    const out = [null];
    if (storeUrl === undefined) callSync(native().cra_resolver_new, [raw, out]);
    else callSync(native().cra_resolver_open, [raw, storeUrl === '' ? null : storeUrl, out]);
    this.#handle = new NativeResolver(/** @type {bigint} */ (out[0]));
    finalizer.register(this, this.#handle, this.#handle);
  }

  /** Whether {@link Resolver#close} has been called. */
  get closed() {
    return this.#handle.closed;
  }

  /**
   * Stops the resolver and frees it (`cra_resolver_free`): the deferred
   * buffer is drained, and a durable store commits what it still holds,
   * for up to `shutdownTimeoutMs`, which blocks the calling thread for
   * that long at most; then the store's file is released. Calling it again does nothing.
   * Afterwards every method throws CraError CRA_ERR_SHUTDOWN. Waits
   * still running finish first (the free happens when the last returns).
   */
  close() {
    finalizer.unregister(this.#handle);
    this.#handle.close();
  }

  /**
   * Loads an Atlas/1.0 manifest (inline context only).
   * @param {string | Uint8Array} json the manifest's JSON text
   * @throws {CraError} CRA_ERR_INVALID_JSON, CRA_ERR_INVALID_ATLAS, CRA_ERR_CONFLICT, ...
   */
  loadAtlas(json) {
    callSync(native().cra_load_atlas, [this.#handle.use('loadAtlas'), ...toSized(json, 'json')]);
  }

  /**
   * Loads an Atlas/1.0 manifest from a file; context pack `files` are read
   * relative to its folder.
   * @param {string | URL} path
   * @throws {CraError} as loadAtlas, plus CRA_ERR_IO
   */
  loadAtlasFile(path) {
    callSync(native().cra_load_atlas_file, [
      this.#handle.use('loadAtlasFile'),
      toCString(path instanceof URL ? fileURLToPath(path) : path, 'path'),
    ]);
  }

  /**
   * Unloads an atlas with its actions, policies and context packs.
   * @param {string} atlasId
   * @throws {CraError} CRA_ERR_NOT_FOUND
   */
  unloadAtlas(atlasId) {
    callSync(native().cra_unload_atlas, [
      this.#handle.use('unloadAtlas'),
      toCString(atlasId, 'atlasId'),
    ]);
  }

  /**
   * Begins a session and records its `session.started` event
   * (`cra_session_begin`, or `cra_session_begin_with` when `options` is
   * given).
   *
   * The session is traced in the resolver's mode (`traceMode` of the
   * config) unless `options.traceMode` chooses 'immediate' or 'deferred'
   * for it: one resolver serves sessions of both modes at once, such as a
   * session a person watches live (immediate, always ready) beside a
   * swarm's (deferred). The mode is fixed for the session's life; the
   * waits (`awaitTraceReady`, `flushTraces`, `getTrace`) work for both.
   * The first deferred session of an immediate resolver starts libcra's
   * background trace processor. `options` is read during the call only.
   *
   * @param {string} agentId
   * @param {string} goal
   * @param {import('../index.js').SessionOptions | null} [options] omitted
   *   or null, and `undefined` members: the defaults (the resolver's mode)
   * @returns {string} the new session id (36 characters)
   * @throws {CraError} CRA_ERR_INVALID_ARGUMENT (empty or over-long agent
   *   id, goal over 64 KiB, a trace mode number libcra does not know),
   *   CRA_ERR_BACKPRESSURE (deferred session, buffer full: no session was
   *   created), CRA_ERR_INTERNAL (the processor thread cannot start),
   *   CRA_ERR_SHUTDOWN; TypeError for a wrong JS type or an unknown option,
   *   RangeError for an unknown trace mode name
   */
  beginSession(agentId, goal, options) {
    const ptr = this.#handle.use('beginSession');
    const args = [toCString(agentId, 'agentId'), toCString(goal, 'goal')];
    const opts = options == null ? undefined : toNativeSessionOptions(options);
    const out = Buffer.alloc(CRA_ID_BUF_LEN);
    if (opts === undefined) callSync(native().cra_session_begin, [ptr, ...args, out]);
    else callSync(native().cra_session_begin_with, [ptr, ...args, opts, out]);
    const end = out.indexOf(0);
    return out.toString('latin1', 0, end < 0 ? out.length : end);
  }

  /**
   * Ends a session and records `session.ended`; its trace stays readable.
   * @param {string} sessionId
   * @param {string} reason
   * @throws {CraError} CRA_ERR_NOT_FOUND, CRA_ERR_SESSION_ENDED, CRA_ERR_BACKPRESSURE
   */
  endSession(sessionId, reason) {
    callSync(native().cra_session_end, [
      this.#handle.use('endSession'),
      toCString(sessionId, 'sessionId'),
      toCString(reason, 'reason'),
    ]);
  }

  /**
   * Resolves a CARP/1.0 request and returns the resolution JSON text.
   * @param {object | string | Uint8Array} request a request object (sent
   *   as `JSON.stringify(request)`) or its JSON text
   * @returns {string}
   * @throws {CraError} CRA_ERR_INVALID_JSON, CRA_ERR_INVALID_REQUEST,
   *   CRA_ERR_NOT_FOUND, CRA_ERR_PERMISSION, CRA_ERR_SESSION_ENDED,
   *   CRA_ERR_CONFLICT, CRA_ERR_BACKPRESSURE, ...
   */
  resolveRaw(request) {
    const text =
      typeof request === 'string' || request instanceof Uint8Array
        ? request
        : typeof request === 'object' && request !== null
          ? JSON.stringify(request)
          : request;
    const sized = toSized(text, 'request');
    const buf = allocBuf();
    try {
      callSync(native().cra_resolve, [this.#handle.use('resolve'), ...sized, buf]);
      return readBuf(buf);
    } finally {
      freeBuf(buf);
    }
  }

  /**
   * Resolves a CARP/1.0 request.
   * @param {object | string | Uint8Array} request
   * @returns {import('../index.js').Resolution} the parsed resolution
   */
  resolve(request) {
    return JSON.parse(this.resolveRaw(request));
  }

  /**
   * Checks an action the agent is about to run (`cra_check_action`): libcra
   * decides again now, by CARP.md's rules in order (resolution known and
   * not expired, action allowed and still loaded, parameters valid against
   * its `parameters_schema`, policies, approval). An approved check gets
   * an `executionId` and charges the matching rate limits and budgets; a
   * denied one charges nothing. Either way the attempt is recorded.
   *
   * Synchronous, like resolve(): the decision is made on the calling
   * thread without waiting for anything (in deferred mode the events are
   * only queued; with `backpressure: 'block'` a full buffer can hold the
   * call up to `blockTimeoutMs`, as for resolve).
   *
   * @param {import('../index.js').CheckActionOptions} options `parameters`
   *   is a plain object (omitted: `{}`); the request id and timestamp are
   *   filled in
   * @returns {import('../index.js').CheckResult} a denial is a result
   *   (`approved: false`, with `reason`), not an error
   * @throws {CraError} CRA_ERR_INVALID_REQUEST, CRA_ERR_NOT_FOUND (session),
   *   CRA_ERR_PERMISSION, CRA_ERR_SESSION_ENDED, CRA_ERR_BACKPRESSURE, ...
   *   (nothing recorded, nothing charged); TypeError for a wrong JS type
   */
  checkAction(options) {
    const sized = toSized(checkRequestJson(options), 'request');
    const buf = allocBuf();
    try {
      callSync(native().cra_check_action, [this.#handle.use('checkAction'), ...sized, buf]);
      return parseCheckResult(readBuf(buf));
    } finally {
      freeBuf(buf);
    }
  }

  /**
   * Answers the approval of a resolution whose decision is
   * `requires_approval` (`cra_answer_approval`; its `decision.approval_id`),
   * once. Granted, later checks of the resolution's actions pass the
   * approval rule; rejected, they are denied with "Approval rejected".
   * Records `approval.granted` or `approval.rejected`. Synchronous.
   *
   * @param {string} sessionId
   * @param {string} approvalId
   * @param {import('../index.js').ApprovalAnswer} answer `approver` must
   *   not be empty; `reason` is optional
   * @throws {CraError} CRA_ERR_INVALID_ARGUMENT (empty approver, malformed
   *   id), CRA_ERR_NOT_FOUND (session, or an approval not of it),
   *   CRA_ERR_CONFLICT (answered already, or expired), CRA_ERR_SESSION_ENDED,
   *   CRA_ERR_BACKPRESSURE
   */
  answerApproval(sessionId, approvalId, answer) {
    if (answer === null || typeof answer !== 'object') {
      throw new TypeError('answerApproval needs an answer object { granted, approver, reason? }');
    }
    const { granted, approver, reason } = answer;
    if (typeof granted !== 'boolean') {
      throw new TypeError(`granted must be a boolean, got ${granted === null ? 'null' : typeof granted}`);
    }
    callSync(native().cra_answer_approval, [
      this.#handle.use('answerApproval'),
      toCString(sessionId, 'sessionId'),
      toCString(approvalId, 'approvalId'),
      granted,
      toCString(approver, 'approver'),
      reason === undefined || reason === null ? null : toCString(reason, 'reason'),
    ]);
  }

  /**
   * Reports the outcome of an approved check (`cra_report_action`), once
   * per `executionId`; records `action.executed` or `action.failed` under
   * the check's span. `errorCode` and `errorMessage` are required exactly
   * when `status` is 'failed'; `result` (an object) is recorded as its
   * hash only. Synchronous.
   *
   * @param {import('../index.js').ReportActionOptions} options
   * @throws {CraError} CRA_ERR_INVALID_REQUEST (e.g. a failure without
   *   errorCode), CRA_ERR_NOT_FOUND (an execution id of no approved check
   *   of the session), CRA_ERR_CONFLICT (reported already), ...;
   *   TypeError / RangeError for a wrong JS type or a bad durationMs
   */
  reportAction(options) {
    const sized = toSized(reportRequestJson(options), 'request');
    callSync(native().cra_report_action, [this.#handle.use('reportAction'), ...sized]);
  }

  /**
   * Whether every event of the session emitted so far is stored (always
   * true in immediate mode). Never waits.
   * @param {string} sessionId
   * @returns {boolean}
   */
  isTraceReady(sessionId) {
    /** @type {[boolean]} */
    const out = [false];
    callSync(native().cra_is_trace_ready, [
      this.#handle.use('isTraceReady'),
      toCString(sessionId, 'sessionId'),
      out,
    ]);
    return Boolean(out[0]);
  }

  /**
   * Waits, off the main thread, until every event of the session emitted
   * before this call is stored.
   * @param {string} sessionId
   * @param {{ timeoutMs?: number }} [options] default 5000; 0 checks once
   * @returns {Promise<void>} rejects with CraError CRA_ERR_TIMEOUT, CRA_ERR_NOT_FOUND, ...
   */
  async awaitTraceReady(sessionId, { timeoutMs } = {}) {
    const id = toCString(sessionId, 'sessionId');
    const timeout = toTimeoutMs(timeoutMs, DEFAULT_TIMEOUT_MS);
    await this.#wait('awaitTraceReady', native().cra_await_trace_ready, [id, timeout]);
  }

  /**
   * Waits, off the main thread, until every event of every session
   * emitted before this call is stored.
   * @param {{ timeoutMs?: number }} [options] default 5000
   * @returns {Promise<void>} rejects with CraError CRA_ERR_TIMEOUT, ...
   */
  async flushTraces({ timeoutMs } = {}) {
    const timeout = toTimeoutMs(timeoutMs, DEFAULT_TIMEOUT_MS);
    await this.#wait('flushTraces', native().cra_flush_traces, [timeout]);
  }

  /**
   * Waits, off the main thread, until every event emitted before this
   * call, of the session or (without `sessionId`) of every session, is
   * committed to the store (`cra_await_trace_durable`). With the memory
   * store it is awaitTraceReady (or flushTraces). While the store fails,
   * libcra keeps the events and retries; a wait that runs out meanwhile
   * rejects with CRA_ERR_IO carrying the store's error, otherwise with
   * CRA_ERR_TIMEOUT.
   *
   * Also callable as `awaitDurable({ timeoutMs })` for every session.
   *
   * @param {string | null | { timeoutMs?: number }} [sessionId] omitted or
   *   null: every session
   * @param {{ timeoutMs?: number }} [options] default 5000; 0 checks once
   * @returns {Promise<void>} rejects with CraError CRA_ERR_TIMEOUT,
   *   CRA_ERR_IO, CRA_ERR_NOT_FOUND, ...
   */
  async awaitDurable(sessionId, options = {}) {
    if (sessionId !== null && typeof sessionId === 'object') {
      options = sessionId;
      sessionId = undefined;
    }
    const id = sessionId == null ? null : toCString(sessionId, 'sessionId');
    const timeout = toTimeoutMs((options ?? {}).timeoutMs, DEFAULT_TIMEOUT_MS);
    await this.#wait('awaitDurable', native().cra_await_trace_durable, [id, timeout]);
  }

  /**
   * Continues a session that was still open when the store's last
   * resolver stopped, and records `session.resumed` with `reason`
   * (`cra_session_resume`). Request ids used before the restart are not
   * remembered.
   * @param {string} sessionId
   * @param {string} reason
   * @throws {CraError} CRA_ERR_NOT_FOUND (unknown, or a memory store),
   *   CRA_ERR_SESSION_ENDED, CRA_ERR_CONFLICT (already active here),
   *   CRA_ERR_IO (the store cannot be read, or its tail does not match the
   *   session's head), CRA_ERR_BACKPRESSURE
   */
  resume(sessionId, reason) {
    callSync(native().cra_session_resume, [
      this.#handle.use('resume'),
      toCString(sessionId, 'sessionId'),
      toCString(reason, 'reason'),
    ]);
  }

  /**
   * The session's head (`cra_session_head`): how many events its chain has
   * and the last one's `event_hash`. Keep it apart from the trace to
   * detect later that the trace's end was cut off ({@link verifyJsonlHead}).
   * @param {string} sessionId
   * @returns {import('../index.js').Head}
   * @throws {CraError} CRA_ERR_NOT_FOUND, CRA_ERR_INVALID_ARGUMENT, CRA_ERR_IO
   */
  sessionHead(sessionId) {
    /** @type {Record<string, any>} */
    const raw = {};
    callSync(native().cra_session_head, [
      this.#handle.use('sessionHead'),
      toCString(sessionId, 'sessionId'),
      raw,
    ]);
    return { events: Number(raw.events), headHash: raw.head_hash };
  }

  /**
   * The session's trace: TRACE/1.0 JSON Lines text, byte for byte as libcra
   * wrote it (what verifiers and archives want). "Trace" means this text in
   * every binding; {@link Resolver#getTraceEvents} parses it.
   * @param {string} sessionId
   * @param {{ partial?: boolean, timeoutMs?: number }} [options]
   *   `partial: true` returns the events stored so far at once; otherwise
   *   waits (off the main thread) up to `timeoutMs` (default 5000) for the
   *   session to be ready
   * @returns {Promise<string>} rejects with CraError CRA_ERR_TIMEOUT (waiting), CRA_ERR_NOT_FOUND, ...
   */
  async getTrace(sessionId, { partial = false, timeoutMs } = {}) {
    const id = toCString(sessionId, 'sessionId');
    const timeout = toTimeoutMs(timeoutMs, DEFAULT_TIMEOUT_MS);
    if (partial) {
      const buf = allocBuf();
      try {
        const ptr = this.#handle.use('getTrace');
        callSync(native().cra_get_trace, [ptr, id, CRA_TRACE_PARTIAL, 0, buf]);
        return readBuf(buf);
      } finally {
        freeBuf(buf);
      }
    }
    return this.#wait('getTrace', native().cra_get_trace, [id, CRA_TRACE_WAIT, timeout], {
      withBuf: true,
    });
  }

  /**
   * The session's trace parsed into event objects (one per JSON Lines
   * line). JSON.parse rounds integers beyond 2^53: verify and archive the
   * text from {@link Resolver#getTrace}, not re-serialized events.
   * @param {string} sessionId
   * @param {{ partial?: boolean, timeoutMs?: number }} [options] as getTrace
   * @returns {Promise<import('../index.js').TraceEvent[]>}
   */
  async getTraceEvents(sessionId, options = {}) {
    const jsonl = await this.getTrace(sessionId, options);
    return jsonl
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line));
  }

  /**
   * The former name of {@link Resolver#getTrace}, kept so existing callers
   * keep working.
   * @deprecated use getTrace, which returns the same JSON Lines text
   * @param {string} sessionId
   * @param {{ partial?: boolean, timeoutMs?: number }} [options]
   * @returns {Promise<string>}
   */
  getTraceJsonl(sessionId, options = {}) {
    return this.getTrace(sessionId, options);
  }

  /**
   * Verifies the session's stored chain. A broken chain is reported
   * (`valid: false`), not thrown.
   * @param {string} sessionId
   * @returns {import('../index.js').VerifyReport}
   * @throws {CraError} CRA_ERR_NOT_FOUND, CRA_ERR_INVALID_ARGUMENT
   */
  verifyChain(sessionId) {
    return runVerification(native().cra_verify_chain, [
      this.#handle.use('verifyChain'),
      toCString(sessionId, 'sessionId'),
    ]);
  }

  /**
   * The resolver's counters.
   * @returns {import('../index.js').Stats}
   */
  stats() {
    /** @type {Record<string, number | bigint>} */
    const raw = {};
    callSync(native().cra_stats_get, [this.#handle.use('stats'), raw]);
    return {
      eventsEmitted: Number(raw.events_emitted),
      eventsProcessed: Number(raw.events_processed),
      eventsRejected: Number(raw.events_rejected),
      queueDepth: Number(raw.queue_depth),
      queueCapacity: Number(raw.queue_capacity),
      queueHighWater: Number(raw.queue_high_water),
      sessionsActive: Number(raw.sessions_active),
    };
  }

  /**
   * The counters of the resolver's store (`cra_store_stats`).
   * @returns {import('../index.js').StoreStats}
   */
  storeStats() {
    /** @type {Record<string, number | bigint>} */
    const raw = {};
    callSync(native().cra_store_stats_get, [this.#handle.use('storeStats'), raw]);
    return {
      eventsDurable: Number(raw.events_durable),
      eventsWaiting: Number(raw.events_waiting),
      commits: Number(raw.commits),
      writeErrors: Number(raw.write_errors),
      sessionsInMemory: Number(raw.sessions_in_memory),
      sessionsEvicted: Number(raw.sessions_evicted),
      residentEventBytes: Number(raw.resident_event_bytes),
    };
  }

  /**
   * Runs a waiting libcra call on a worker thread once a wait slot is
   * free. The `cra_buf` (when asked for) is native memory that lives until
   * the call has returned; the handle is not freed while the call runs.
   *
   * @param {string} operation
   * @param {any} fn
   * @param {unknown[]} args the arguments after the resolver
   * @param {{ withBuf?: boolean }} [options]
   * @returns {Promise<any>} the text of the buffer, when withBuf
   */
  #wait(operation, fn, args, { withBuf = false } = {}) {
    const handle = this.#handle;
    handle.use(operation); // fail at once when already closed
    return whenWaitSlotFree(async () => {
      const ptr = handle.enter(operation); // closed while queued: CRA_ERR_SHUTDOWN
      const buf = withBuf ? allocBuf() : null;
      try {
        await callAsync(fn, buf ? [ptr, ...args, buf] : [ptr, ...args]);
        return buf ? readBuf(buf) : undefined;
      } finally {
        if (buf) freeBuf(buf);
        handle.leave();
      }
    });
  }

  static {
    nativeHandleOf = (resolver) => resolver.#handle;
  }
}

/**
 * `resolver[Symbol.dispose]()` is close(), so `using resolver = new
 * Resolver()` closes it at the end of the block. Only the synchronous
 * protocol: close() does all its work before returning (a wait still
 * running frees the handle when it returns, and needs no awaiting), so
 * there is nothing for a `Symbol.asyncDispose` to wait for; `await using`
 * accepts a synchronous disposable as it is. Defined only where the
 * runtime has `Symbol.dispose`, without polyfilling it.
 */
if (typeof Symbol.dispose === 'symbol') {
  Object.defineProperty(Resolver.prototype, Symbol.dispose, {
    value: function dispose() {
      this.close();
    },
    writable: true,
    configurable: true,
  });
}

/**
 * Package-internal: the native handle behind a resolver. Not exported by
 * index.js, and the package's `exports` map does not expose this module.
 * @param {Resolver} resolver
 * @returns {NativeResolver}
 */
export function handleOf(resolver) {
  return nativeHandleOf(resolver);
}
