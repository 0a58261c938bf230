/**
 * Chain verification reports, and verifying JSON Lines text without a
 * resolver.
 * @module
 */
import { callSync } from './calls.js';
import { CRA_ERR_CHAIN_INVALID } from './errors.js';
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
});

const FAILURE_NAMES = new Map(Object.entries(ChainFailure).map(([name, code]) => [code, name]));

/**
 * Runs a verify function and shapes its report. A broken chain
 * (`CRA_ERR_CHAIN_INVALID`) is a report with `valid: false`, not an
 * exception; every other failure throws.
 *
 * @param {Function} fn `cra_verify_chain` or `cra_verify_jsonl`
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
