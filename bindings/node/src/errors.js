/**
 * Status codes of the C ABI and the error every failed call throws.
 * @module
 */

/** Success. */
export const CRA_OK = 0;
/** NULL, bad UTF-8, malformed id, out-of-range config value. */
export const CRA_ERR_INVALID_ARGUMENT = 1;
/** The input is not valid JSON (or holds NaN/Infinity). */
export const CRA_ERR_INVALID_JSON = 2;
/** The atlas breaks CARP.md; the resolver is unchanged. */
export const CRA_ERR_INVALID_ATLAS = 3;
/** The request breaks CARP.md; nothing was recorded. */
export const CRA_ERR_INVALID_REQUEST = 4;
/** Unknown session, atlas, capability or resolution. */
export const CRA_ERR_NOT_FOUND = 5;
/** Atlas or action id already loaded; request id reused in the session. */
export const CRA_ERR_CONFLICT = 6;
/** The session has ended. */
export const CRA_ERR_SESSION_ENDED = 7;
/** The request's agent does not own the session. */
export const CRA_ERR_PERMISSION = 8;
/** The trace buffer cannot take the operation's events: nothing was recorded; retry later. */
export const CRA_ERR_BACKPRESSURE = 9;
/** A wait ran out. */
export const CRA_ERR_TIMEOUT = 10;
/** Verification found a broken chain (details in the report). */
export const CRA_ERR_CHAIN_INVALID = 11;
/** Reading or writing a file failed. */
export const CRA_ERR_IO = 12;
/** The resolver is closed or shutting down, or its trace processor stopped. */
export const CRA_ERR_SHUTDOWN = 13;
/** A bug in libcra, including a caught panic. */
export const CRA_ERR_INTERNAL = 14;

/**
 * Every status by its C name, e.g. `Status.CRA_ERR_TIMEOUT === 10`.
 * @type {Readonly<Record<string, number>>}
 */
export const Status = Object.freeze({
  CRA_OK,
  CRA_ERR_INVALID_ARGUMENT,
  CRA_ERR_INVALID_JSON,
  CRA_ERR_INVALID_ATLAS,
  CRA_ERR_INVALID_REQUEST,
  CRA_ERR_NOT_FOUND,
  CRA_ERR_CONFLICT,
  CRA_ERR_SESSION_ENDED,
  CRA_ERR_PERMISSION,
  CRA_ERR_BACKPRESSURE,
  CRA_ERR_TIMEOUT,
  CRA_ERR_CHAIN_INVALID,
  CRA_ERR_IO,
  CRA_ERR_SHUTDOWN,
  CRA_ERR_INTERNAL,
});

const NAMES = new Map(Object.entries(Status).map(([name, code]) => [code, name]));

/**
 * The C name of a status (`'CRA_ERR_TIMEOUT'`) from this binding's own
 * table; `'CRA_UNKNOWN'` for other values, as `cra_status_name` does.
 * Errors from library calls carry the library's own `cra_status_name`.
 *
 * @param {number} code
 * @returns {string}
 */
export function statusName(code) {
  return NAMES.get(code) ?? 'CRA_UNKNOWN';
}

/**
 * A failed libcra call: `code` is the numeric status, `status` its name
 * and `message` the library's explanation for that very call.
 */
export class CraError extends Error {
  /**
   * @param {number} code numeric status (`CRA_ERR_*`)
   * @param {string} message what went wrong
   * @param {string} [status] the status name; looked up from `code` when omitted
   */
  constructor(code, message, status = statusName(code)) {
    super(message);
    /** @type {number} */
    this.code = code;
    /** @type {string} */
    this.status = status;
  }

  get name() {
    return 'CraError';
  }
}
