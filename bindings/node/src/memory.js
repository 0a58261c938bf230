/**
 * Native memory for the two out-parameters the library fills with memory
 * of its own: `cra_error **err` and `cra_buf *out`. Both live in
 * `koffi.alloc` memory (zeroed, never moved by the GC), so they stay valid
 * while an asynchronous call runs on a worker thread; whoever allocates
 * one frees it once the call has returned (after the callback, for async
 * calls). The `cra_error` and the `cra_buf` text inside are handed back to
 * the library with `cra_error_free` / `cra_buf_free`.
 *
 * @module
 */
import koffi from 'koffi';
import { CraError } from './errors.js';
import { native } from './lib.js';

/**
 * A zeroed `cra_error *` slot to pass as the `err` argument.
 * @returns {bigint} pointer to the slot; release with {@link freeErrorSlot}
 */
export function allocErrorSlot() {
  return koffi.alloc(native().types.errorPtr, 1);
}

/**
 * Turns the error a failed call left in `slot` into a {@link CraError}
 * and frees the library's error object (the slot itself stays).
 *
 * @param {number} status what the call returned
 * @param {bigint} slot the `err` slot given to that call
 * @returns {CraError}
 */
export function takeError(status, slot) {
  const lib = native();
  const error = koffi.decode(slot, lib.types.errorPtr);
  let message = '';
  if (error) {
    message = lib.cra_error_message(error);
    lib.cra_error_free(error);
    koffi.encode(slot, lib.types.errorPtr, null);
  }
  if (!message) message = `libcra returned ${lib.cra_status_name(status)} without details`;
  return new CraError(status, message, lib.cra_status_name(status));
}

/**
 * Frees an `err` slot, and the error still in it if nobody took it.
 * @param {bigint} slot
 */
export function freeErrorSlot(slot) {
  const lib = native();
  const error = koffi.decode(slot, lib.types.errorPtr);
  if (error) lib.cra_error_free(error);
  koffi.free(slot);
}

/**
 * A zeroed `cra_buf` to pass as an `out` argument.
 * @returns {bigint} pointer to the struct; release with {@link freeBuf}
 */
export function allocBuf() {
  return koffi.alloc(native().types.buf, 1);
}

/**
 * Copies the UTF-8 text the library stored in `bufPtr` into a JS string.
 * The text stays in the buffer until {@link freeBuf}.
 *
 * @param {bigint} bufPtr
 * @returns {string}
 */
export function readBuf(bufPtr) {
  const { data, len } = koffi.decode(bufPtr, native().types.buf);
  const length = Number(len);
  if (!data || length === 0) return '';
  // The view aliases library memory: decode (copy) it before cra_buf_free.
  return Buffer.from(koffi.view(data, length)).toString('utf8');
}

/**
 * Frees the library's text in `bufPtr` (if any) and the struct itself.
 * @param {bigint} bufPtr
 */
export function freeBuf(bufPtr) {
  native().cra_buf_free(bufPtr);
  koffi.free(bufPtr);
}
