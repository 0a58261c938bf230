/**
 * Versions of the loaded library.
 * @module
 */
import { native } from './lib.js';

/**
 * `cra_abi_version()`: the C ABI version of the loaded libcra (1).
 * @returns {number}
 */
export function abiVersion() {
  return native().cra_abi_version();
}

/**
 * `cra_version()`: the loaded libcra's version, e.g. "1.0.0"; its major
 * number is the C ABI version ({@link abiVersion}).
 * @returns {string}
 */
export function version() {
  return native().cra_version();
}
