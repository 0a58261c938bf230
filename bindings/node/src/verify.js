/**
 * Chain verification reports, and verifying JSON Lines text without a
 * resolver.
 * @module
 */
import { callSync } from './calls.js';
import { CRA_ERR_CHAIN_INVALID, CRA_ERR_INVALID_ARGUMENT, CraError } from './errors.js';
import { native } from './lib.js';
import { toSized } from './text.js';

/**
 * `cra_verify_report.failure` names, indexed by `CRA_CHAIN_*` value; the
 * names are TRACE.md's (and trace_verify.py's) failure kinds.
 */
export const ChainFailure = Object.freeze({
  malformed: 1,
  sequence_gap: 2,
  chain_broken: 3,
  hash_mismatch: 4,
  session_mismatch: 5,
  /** Fewer events than the head counts: the chain's end was cut off. */
  truncated: 6,
  /** The event the head names has another hash than the head. */
  head_mismatch: 7,
});

const FAILURE_NAMES = new Map(Object.entries(ChainFailure).map(([name, code]) => [code, name]));

/**
 * Runs a verify function and shapes its report. A broken chain
 * (`CRA_ERR_CHAIN_INVALID`) is a report with `valid: false`, not an
 * exception; every other failure throws.
 *
 * @param {Function} fn `cra_verify_chain`, `cra_verify_jsonl` or `cra_verify_jsonl_head`
 * @param {unknown[]} args its arguments before `out` and `err`
 */
export function runVerification(fn, args) {
  /** @type {Record<string, any>} */
  const raw = {};
  const { error } = callSync(fn, [...args, raw], [CRA_ERR_CHAIN_INVALID]);
  return toReport(raw, error ? error.message : null);
}

/**
 * @param {Record<string, any>} raw a decoded `cra_verify_report`
 * @param {string | null} message the library's explanation of a broken chain
 */
function toReport(raw, message) {
  const failure = raw.failure === 0 ? null : (FAILURE_NAMES.get(raw.failure) ?? 'unknown');
  return {
    valid: failure === null,
    events: Number(raw.events),
    pending: Number(raw.pending),
    firstBadIndex: Number(raw.first_bad_index),
    failure,
    headHash: raw.head_hash,
    message,
  };
}

/**
 * Verifies TRACE/1.0 JSON Lines holding the events of one or more
 * sessions (each session's chain checked on its own). Needs no resolver.
 *
 * @param {string | Uint8Array} jsonl
 * @returns the report: `valid`, `events`, `pending`, `firstBadIndex`
 *   (-1 when valid; 0-based among non-empty lines), `failure`
 *   (null or 'malformed' | 'sequence_gap' | 'chain_broken' |
 *   'hash_mismatch' | 'session_mismatch'), `headHash`, `message`
 * @throws {import('./errors.js').CraError} on anything but a broken chain
 *   (e.g. CRA_ERR_INVALID_ARGUMENT for invalid UTF-8)
 */
export function verifyJsonl(jsonl) {
  return runVerification(native().cra_verify_jsonl, toSized(jsonl, 'jsonl'));
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/**
 * Verifies the TRACE/1.0 JSON Lines of one session like
 * {@link verifyJsonl}, then holds them against `head`, a head kept from
 * earlier (`Resolver#sessionHead`): fewer events than `head.events` is
 * failure `'truncated'` (`firstBadIndex` is then the number of events
 * present), another hash at event `head.events - 1` is
 * `'head_mismatch'`. More events than the head counts is valid: the
 * chain grew since. Needs no resolver.
 *
 * @param {string | Uint8Array} jsonl
 * @param {{ events: number | bigint, headHash: string }} head
 * @returns the report, shaped as {@link verifyJsonl}'s
 * @throws {import('./errors.js').CraError} CRA_ERR_INVALID_ARGUMENT for
 *   text of more than one session, a head hash that is not 64 lowercase
 *   hex digits, invalid UTF-8; a TypeError / RangeError for a head of the
 *   wrong shape
 */
export function verifyJsonlHead(jsonl, head) {
  const sized = toSized(jsonl, 'jsonl');
  return runVerification(native().cra_verify_jsonl_head, [...sized, toNativeHead(head)]);
}

/**
 * A `cra_head` struct from `{ events, headHash }`. koffi would cut a
 * longer hash down to the 64 characters the array holds, so a hash that
 * cannot fit is refused here; the library checks the rest.
 *
 * @param {unknown} head
 */
function toNativeHead(head) {
  if (head === null || typeof head !== 'object') {
    throw new TypeError(`head must be an object { events, headHash }, got ${head === null ? 'null' : typeof head}`);
  }
  const { events, headHash } = /** @type {{ events?: unknown, headHash?: unknown }} */ (head);
  if (typeof events === 'bigint') {
    if (events < 0n || events > MAX_U64) {
      throw new RangeError(`head.events must be from 0 to 2^64-1, got ${events}`);
    }
  } else if (typeof events === 'number') {
    if (!Number.isSafeInteger(events) || events < 0) {
      throw new RangeError(`head.events must be a non-negative safe integer, got ${events}`);
    }
  } else {
    throw new TypeError(`head.events must be a number or a bigint, got ${typeof events}`);
  }
  if (typeof headHash !== 'string') {
    throw new TypeError(`head.headHash must be a string, got ${typeof headHash}`);
  }
  if (Buffer.byteLength(headHash, 'utf8') > 64 || headHash.includes('\0')) {
    throw new CraError(
      CRA_ERR_INVALID_ARGUMENT,
      `head.headHash '${headHash}' is not 64 lowercase hex digits`,
    );
  }
  return { events, head_hash: headHash };
}
