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
 * `cra_abi_minor()`: which additions to C ABI version 1 the loaded libcra
 * has (1 for this one: durable stores, heads, action checks, approvals,
 * outcome reports and per-session trace mode). Check `abiMinor() >= N`
 * before using an addition of minor N with a libcra that may be older.
 * @returns {number}
 */
export function abiMinor() {
  return native().cra_abi_minor();
}

/**
 * `cra_version()`: the loaded libcra's version, e.g. "1.0.0"; its major
 * number is the C ABI version ({@link abiVersion}).
 * @returns {string}
 */
export function version() {
  return native().cra_version();
}
