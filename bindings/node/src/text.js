/**
 * Turning JS values into the text arguments libcra takes.
 * @module
 */
import { CRA_ERR_INVALID_ARGUMENT, CraError } from './errors.js';

/**
 * A NUL-terminated text argument. koffi encodes JS strings as UTF-8 and
 * appends the NUL itself, so a NUL inside would silently cut the value
 * short: refuse it instead.
 *
 * @param {unknown} value
 * @param {string} name the parameter name, for messages
 * @returns {string}
 */
export function toCString(value, name) {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  if (value.includes('\0')) {
    throw new CraError(CRA_ERR_INVALID_ARGUMENT, `${name} contains a NUL character`);
  }
  return value;
}

/**
 * One byte to point at for an empty input: koffi passes NULL for a Buffer
 * of length 0, which the library rightly refuses as a NULL pointer.
 */
const EMPTY = Buffer.alloc(1);

/**
 * A `(const char *ptr, size_t len)` argument pair: strings become UTF-8
 * bytes, Uint8Arrays (Buffers) are passed as they are.
 *
 * @param {unknown} value
 * @param {string} name the parameter name, for messages
 * @returns {[Uint8Array, number]} the bytes and their length
 */
export function toSized(value, name) {
  let bytes;
  if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
  else if (value instanceof Uint8Array) bytes = value;
  else {
    throw new TypeError(
      `${name} must be a string or a Uint8Array, got ${value === null ? 'null' : typeof value}`,
    );
  }
  return bytes.length === 0 ? [EMPTY, 0] : [bytes, bytes.length];
}

/**
 * A wait timeout in milliseconds: an integer from 0 to 4294967295.
 *
 * @param {unknown} value
 * @param {number} fallback used when value is undefined
 * @returns {number}
 */
export function toTimeoutMs(value, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`timeoutMs must be an integer from 0 to 4294967295, got ${value}`);
  }
  return value;
}
