/**
 * Finding, loading and declaring libcra: the only module that talks to
 * koffi about types and symbols. Everything else imports {@link native}.
 *
 * The library is loaded lazily, on the first call that needs it, so that
 * importing the package never fails just because libcra is not built yet.
 *
 * @module
 */
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The ABI version this binding is written against (`CRA_ABI_VERSION`). */
export const ABI_VERSION = 1;

/**
 * The library bundled in the package (see scripts/pack-node.sh):
 * `prebuilds/<platform>-<arch>/libcra.so.1` under the package root, for
 * the running platform, e.g. `prebuilds/linux-x64/libcra.so.1`. Only a
 * packed package has it; a source checkout does not.
 */
export const PREBUILT_LIBRARY_PATH = fileURLToPath(
  new URL(`../prebuilds/${process.platform}-${process.arch}/libcra.so.1`, import.meta.url),
);

/**
 * The repository build: `<repo>/target/release/libcra.so`, that is
 * `../../target/release/libcra.so` relative to this package.
 */
export const DEFAULT_LIBRARY_PATH = fileURLToPath(
  new URL('../../../target/release/libcra.so', import.meta.url),
);

/** The installed library, by its SONAME: found by the system loader. */
export const SYSTEM_LIBRARY = 'libcra.so.1';

/**
 * Stack size koffi gives each asynchronous call. koffi runs the C function
 * of an async call on a stack it allocates itself (128 KiB by default, and
 * without a guard page), not on the worker thread's own stack. The waiting
 * functions run Rust code (condition variables, JSON Lines formatting) on
 * that stack; 1 MiB leaves a wide margin, and the memory is only committed
 * when touched. koffi only accepts this setting before its first library
 * is loaded, hence here, right before `koffi.load`.
 */
const ASYNC_STACK_SIZE = 1024 * 1024;

/** @type {Native | null} */
let loaded = null;

/**
 * Loads libcra, once per process. Later calls return the same library;
 * asking for a different path after it is loaded throws.
 *
 * What is loaded: `options.path` or else the `CRA_LIBRARY_PATH` environment
 * variable when one is given, and then only that: a path (with a `/`) is
 * loaded from there, a bare name such as `libcra.so.1` is looked up by the
 * system loader. Otherwise the first that loads of: the library bundled in
 * the package ({@link PREBUILT_LIBRARY_PATH}), the repository build
 * ({@link DEFAULT_LIBRARY_PATH}), the installed library
 * ({@link SYSTEM_LIBRARY}, through the system loader). The bundled one
 * comes first because it is the build the package was packed and tested
 * with. The error names every attempt.
 *
 * @param {{ path?: string }} [options]
 * @returns {Native} the declared functions and types
 */
export function loadLibrary(options = {}) {
  if (loaded) {
    if (options.path !== undefined && options.path !== loaded.path) {
      throw new Error(
        `libcra is already loaded from ${loaded.path}; cannot load ${options.path} as well`,
      );
    }
    return loaded;
  }
  raiseAsyncStack();
  const { handle, wanted } = openLibrary(options.path ?? process.env.CRA_LIBRARY_PATH);
  const native = declare(handle, wanted);
  const abi = native.cra_abi_version();
  if (abi !== ABI_VERSION) {
    handle.unload();
    throw new Error(
      `${wanted} implements libcra ABI ${abi}; this binding needs ABI ${ABI_VERSION}`,
    );
  }
  loaded = native;
  return loaded;
}

/**
 * Opens the first library that loads among the candidates for `chosen`
 * (see {@link loadLibrary}).
 * @param {string | undefined} chosen
 */
function openLibrary(chosen) {
  const candidates =
    chosen !== undefined ? [chosen] : [PREBUILT_LIBRARY_PATH, DEFAULT_LIBRARY_PATH, SYSTEM_LIBRARY];
  const attempts = [];
  for (const candidate of candidates) {
    if (candidate.includes('/') && !existsSync(candidate)) {
      attempts.push(`${candidate} (no such file)`);
      continue;
    }
    try {
      return { handle: koffi.load(candidate), wanted: candidate };
    } catch (error) {
      attempts.push(`${candidate} (${error.message})`);
    }
  }
  // The advice must make sense from an installed package too, where there
  // is no repository and no build script.
  throw new Error(
    `libcra not found: tried ${attempts.join(', ')}. Install libcra where the system loader ` +
      'finds libcra.so.1, or set CRA_LIBRARY_PATH to the library file ' +
      '(in a libcra checkout, ./scripts/build-lib.sh builds target/release/libcra.so)',
  );
}

/**
 * The loaded library, loading it with the default path on first use.
 * @returns {Native}
 */
export function native() {
  return loaded ?? loadLibrary();
}

function raiseAsyncStack() {
  if (koffi.config().async_stack_size >= ASYNC_STACK_SIZE) return;
  try {
    koffi.config({ async_stack_size: ASYNC_STACK_SIZE });
  } catch (error) {
    // Another module loaded a library through koffi first, which freezes
    // koffi's settings. libcra's waits are shallow and usually fit, so warn
    // rather than refuse to work.
    process.emitWarning(
      `@cra/libcra could not raise koffi's async stack to ${ASYNC_STACK_SIZE} bytes ` +
        `(${error.message}); waiting calls run on ${koffi.config().async_stack_size} bytes`,
      { code: 'CRA_KOFFI_CONFIG' },
    );
  }
}

/**
 * The declarations of include/cra.h. Types are anonymous koffi types (not
 * registered by name), so two copies of this package in one process do
 * not clash in koffi's global type registry.
 *
 * Two kinds of out-parameters are used on purpose:
 * - `cra_error **` and `cra_buf *` are plain pointers: callers pass native
 *   memory from `koffi.alloc` (see memory.js), which stays valid across an
 *   asynchronous call until its callback has read and freed it;
 * - small out-values of synchronous calls (resolver handle, bool, report,
 *   stats, store stats, head, config, session options) use koffi's `out()`
 *   marshalling into JS objects/arrays.
 *
 * @param {ReturnType<typeof koffi.load>} lib
 * @param {string} path
 */
function declare(lib, path) {
  const voidPtr = koffi.pointer(koffi.types.void);
  const resolverPtr = koffi.pointer(koffi.opaque());
  const errorPtr = koffi.pointer(koffi.opaque());
  const errorOut = koffi.pointer(errorPtr); // cra_error ** (native memory)
  const buf = koffi.struct({ data: voidPtr, len: 'size_t' });
  const bufPtr = koffi.pointer(buf); // cra_buf * (native memory)
  const config = koffi.struct({
    struct_size: 'uint32_t',
    trace_mode: 'uint32_t',
    buffer_capacity: 'uint32_t',
    backpressure: 'uint32_t',
    block_timeout_ms: 'uint32_t',
    ttl_seconds: 'uint32_t',
    clock_skew_seconds: 'uint32_t',
    shutdown_timeout_ms: 'uint32_t',
  });
  const sessionOptions = koffi.struct({
    struct_size: 'uint32_t',
    trace_mode: 'uint32_t',
  });
  const report = koffi.struct({
    events: 'uint64_t',
    pending: 'uint64_t',
    first_bad_index: 'int64_t',
    failure: 'uint32_t',
    head_hash: koffi.array('char', 65, 'String'),
  });
  const storeStats = koffi.struct({
    events_durable: 'uint64_t',
    events_waiting: 'uint64_t',
    commits: 'uint64_t',
    write_errors: 'uint64_t',
    sessions_in_memory: 'uint64_t',
    sessions_evicted: 'uint64_t',
    resident_event_bytes: 'uint64_t',
  });
  const head = koffi.struct({
    events: 'uint64_t',
    head_hash: koffi.array('char', 65, 'String'),
  });
  const stats = koffi.struct({
    events_emitted: 'uint64_t',
    events_processed: 'uint64_t',
    events_rejected: 'uint64_t',
    queue_depth: 'uint64_t',
    queue_capacity: 'uint64_t',
    queue_high_water: 'uint64_t',
    sessions_active: 'uint64_t',
  });
  const str = 'const char *';
  const bytes = voidPtr; // (const char *ptr, size_t len) JSON inputs: Buffers
  const status = 'int32_t';
  const fn = (name, result, params) => lib.func(name, result, params);

  return {
    path,
    types: { errorPtr, buf, config, sessionOptions, report, stats, storeStats, head },

    cra_abi_version: fn('cra_abi_version', 'uint32_t', []),
    cra_abi_minor: fn('cra_abi_minor', 'uint32_t', []),
    cra_version: fn('cra_version', str, []),
    cra_status_name: fn('cra_status_name', str, [status]),

    cra_error_message: fn('cra_error_message', str, [errorPtr]),
    cra_error_code: fn('cra_error_code', status, [errorPtr]),
    cra_error_free: fn('cra_error_free', 'void', [errorPtr]),
    cra_buf_free: fn('cra_buf_free', 'void', [bufPtr]),

    cra_config_init: fn('cra_config_init', 'void', [koffi.out(koffi.pointer(config))]),
    cra_resolver_new: fn('cra_resolver_new', status, [
      koffi.pointer(config),
      koffi.out(koffi.pointer(resolverPtr)),
      errorOut,
    ]),
    cra_resolver_open: fn('cra_resolver_open', status, [
      koffi.pointer(config),
      str, // NULL: the memory store
      koffi.out(koffi.pointer(resolverPtr)),
      errorOut,
    ]),
    cra_resolver_free: fn('cra_resolver_free', 'void', [resolverPtr]),

    cra_load_atlas: fn('cra_load_atlas', status, [resolverPtr, bytes, 'size_t', errorOut]),
    cra_load_atlas_file: fn('cra_load_atlas_file', status, [resolverPtr, str, errorOut]),
    cra_unload_atlas: fn('cra_unload_atlas', status, [resolverPtr, str, errorOut]),

    cra_session_begin: fn('cra_session_begin', status, [
      resolverPtr,
      str,
      str,
      koffi.pointer('char'), // char out_session_id[37]: a Buffer
      errorOut,
    ]),
    cra_session_options_init: fn('cra_session_options_init', 'void', [
      koffi.out(koffi.pointer(sessionOptions)),
    ]),
    cra_session_begin_with: fn('cra_session_begin_with', status, [
      resolverPtr,
      str,
      str,
      koffi.pointer(sessionOptions), // NULL: the defaults
      koffi.pointer('char'), // char out_session_id[37]: a Buffer
      errorOut,
    ]),
    cra_session_end: fn('cra_session_end', status, [resolverPtr, str, str, errorOut]),

    cra_resolve: fn('cra_resolve', status, [resolverPtr, bytes, 'size_t', bufPtr, errorOut]),

    cra_check_action: fn('cra_check_action', status, [
      resolverPtr,
      bytes,
      'size_t',
      bufPtr,
      errorOut,
    ]),
    cra_answer_approval: fn('cra_answer_approval', status, [
      resolverPtr,
      str, // session_id
      str, // approval_id
      'bool', // granted
      str, // approver
      str, // reason, NULL for none
      errorOut,
    ]),
    cra_report_action: fn('cra_report_action', status, [resolverPtr, bytes, 'size_t', errorOut]),

    cra_is_trace_ready: fn('cra_is_trace_ready', status, [
      resolverPtr,
      str,
      koffi.out(koffi.pointer('bool')),
      errorOut,
    ]),
    cra_await_trace_ready: fn('cra_await_trace_ready', status, [
      resolverPtr,
      str,
      'uint32_t',
      errorOut,
    ]),
    cra_flush_traces: fn('cra_flush_traces', status, [resolverPtr, 'uint32_t', errorOut]),
    cra_get_trace: fn('cra_get_trace', status, [
      resolverPtr,
      str,
      'uint32_t',
      'uint32_t',
      bufPtr,
      errorOut,
    ]),
    cra_verify_chain: fn('cra_verify_chain', status, [
      resolverPtr,
      str,
      koffi.out(koffi.pointer(report)),
      errorOut,
    ]),
    cra_verify_jsonl: fn('cra_verify_jsonl', status, [
      bytes,
      'size_t',
      koffi.out(koffi.pointer(report)),
      errorOut,
    ]),
    cra_await_trace_durable: fn('cra_await_trace_durable', status, [
      resolverPtr,
      str, // NULL: every session
      'uint32_t',
      errorOut,
    ]),
    cra_session_resume: fn('cra_session_resume', status, [resolverPtr, str, str, errorOut]),
    cra_store_stats_get: fn('cra_store_stats_get', status, [
      resolverPtr,
      koffi.out(koffi.pointer(storeStats)),
      errorOut,
    ]),
    cra_session_head: fn('cra_session_head', status, [
      resolverPtr,
      str,
      koffi.out(koffi.pointer(head)),
      errorOut,
    ]),
    cra_verify_jsonl_head: fn('cra_verify_jsonl_head', status, [
      bytes,
      'size_t',
      koffi.pointer(head),
      koffi.out(koffi.pointer(report)),
      errorOut,
    ]),
    cra_chain_failure_name: fn('cra_chain_failure_name', str, ['uint32_t']),
    cra_stats_get: fn('cra_stats_get', status, [
      resolverPtr,
      koffi.out(koffi.pointer(stats)),
      errorOut,
    ]),
    // Test support, declared in cra_testing.h rather than cra.h; only
    // src/testing.js and close() call it.
    cra_test_hold_processor: fn('cra_test_hold_processor', status, [
      resolverPtr,
      'bool',
      errorOut,
    ]),
  };
}

/** @typedef {ReturnType<typeof declare>} Native */
