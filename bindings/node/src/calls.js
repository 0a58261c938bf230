/**
 * Calling libcra functions: every call gets an `err` out-parameter whose
 * error is read into a {@link CraError} and freed, whatever happens.
 * Synchronous calls run on the caller's thread; waiting calls run off the
 * main thread through koffi's `fn.async`, behind a small gate (see
 * {@link setMaxConcurrentWaits}).
 *
 * @module
 */
import { allocErrorSlot, freeErrorSlot, takeError } from './memory.js';
import { CRA_OK } from './errors.js';

/**
 * Calls `fn(...args, err)` on this thread.
 *
 * @param {Function} fn a declared libcra function returning `cra_status`
 * @param {unknown[]} args every argument but the trailing `err`
 * @param {readonly number[]} [tolerated] statuses returned instead of thrown
 * @returns {{ status: number, error: import('./errors.js').CraError | null }}
 * @throws {import('./errors.js').CraError} for any other failure
 */
export function callSync(fn, args, tolerated = []) {
  const slot = allocErrorSlot();
  try {
    const status = fn(...args, slot);
    if (status === CRA_OK) return { status, error: null };
    const error = takeError(status, slot);
    if (tolerated.includes(status)) return { status, error };
    throw error;
  } finally {
    freeErrorSlot(slot);
  }
}

/**
 * Calls `fn(...args, err)` on a libuv worker thread (koffi's async call),
 * so the event loop keeps running while libcra waits.
 *
 * `err` lives in native memory allocated here and freed only in the
 * completion callback, after the worker has returned: it must not be
 * released (or collected) while the call is in flight.
 *
 * @param {{ async: Function }} fn a declared libcra function returning `cra_status`
 * @param {unknown[]} args every argument but the trailing `err`
 * @returns {Promise<void>} rejects with a CraError when the status is not CRA_OK
 */
export function callAsync(fn, args) {
  return new Promise((resolve, reject) => {
    const slot = allocErrorSlot();
    let settled = false;
    const done = (/** @type {unknown} */ failure, /** @type {number} */ status) => {
      if (settled) return;
      settled = true;
      try {
        if (failure) reject(failure);
        else if (status === CRA_OK) resolve();
        else reject(takeError(status, slot));
      } finally {
        freeErrorSlot(slot);
      }
    };
    try {
      fn.async(...args, slot, done);
    } catch (failure) {
      // koffi refused to queue the call (e.g. too many async calls); the
      // callback will not run.
      done(failure, -1);
    }
  });
}

/** @type {number} */
let maxConcurrentWaits = defaultMaxConcurrentWaits();
let running = 0;
/** @type {Array<() => void>} */
const queued = [];

/**
 * koffi queues async calls on libuv's thread pool (`UV_THREADPOOL_SIZE`,
 * 4 by default), which `fs`, `dns.lookup`, `crypto` and `zlib` share. A
 * libcra wait holds its pool thread for up to its timeout, so by default
 * at most half of the pool waits on libcra at once; further waits queue
 * here, in JS, without blocking anything.
 */
function defaultMaxConcurrentWaits() {
  const pool = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Math.max(1, Math.floor((pool > 0 ? pool : 4) / 2));
}

/**
 * Sets how many waiting calls (awaitTraceReady, flushTraces,
 * awaitDurable, waiting getTrace) may occupy libuv pool threads at once, process-wide. Raise it
 * together with `UV_THREADPOOL_SIZE` when many waits are expected to run
 * long at the same time.
 *
 * @param {number} n a positive integer
 */
export function setMaxConcurrentWaits(n) {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`maxConcurrentWaits must be a positive integer, got ${n}`);
  }
  maxConcurrentWaits = n;
  pump();
}

/** @returns {number} the current limit of {@link setMaxConcurrentWaits} */
export function getMaxConcurrentWaits() {
  return maxConcurrentWaits;
}

/**
 * Runs `task` once a wait slot is free; the slot is held until the
 * promise it returns settles.
 *
 * @template T
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
export function whenWaitSlotFree(task) {
  return new Promise((resolve, reject) => {
    queued.push(() => {
      running += 1;
      let result;
      try {
        result = Promise.resolve(task());
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(resolve, reject).finally(() => {
        running -= 1;
        pump();
      });
    });
    pump();
  });
}

function pump() {
  while (running < maxConcurrentWaits && queued.length > 0) {
    queued.shift()();
  }
}
