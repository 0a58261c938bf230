/**
 * Resolver settings: camelCase mirrors of `cra_config`, with the
 * library's own defaults from `cra_config_init`; and the settings of one
 * session, mirrors of `cra_session_options` (`cra_session_options_init`).
 * @module
 */
import { native } from './lib.js';

/** `trace_mode` values by name. */
export const TraceMode = Object.freeze({ immediate: 0, deferred: 1 });
/** `backpressure` values by name. */
export const Backpressure = Object.freeze({ error: 0, block: 1 });

/** camelCase option → `cra_config` member. */
const FIELDS = Object.freeze({
  traceMode: 'trace_mode',
  bufferCapacity: 'buffer_capacity',
  backpressure: 'backpressure',
  blockTimeoutMs: 'block_timeout_ms',
  ttlSeconds: 'ttl_seconds',
  clockSkewSeconds: 'clock_skew_seconds',
  shutdownTimeoutMs: 'shutdown_timeout_ms',
});

/** Options of `new Resolver()` that belong to the binding, not to cra_config. */
const BINDING_OPTIONS = new Set(['libraryPath', 'storeUrl']);

const ENUMS = { traceMode: TraceMode, backpressure: Backpressure };

/**
 * The defaults `cra_config_init` sets, as a camelCase object
 * (`traceMode: 'immediate'`, `bufferCapacity: 4096`, ...).
 *
 * @returns {Record<string, number | string>}
 */
export function defaultConfig() {
  const raw = initConfig();
  /** @type {Record<string, number | string>} */
  const out = {};
  for (const [name, member] of Object.entries(FIELDS)) {
    const value = raw[member];
    const names = ENUMS[name];
    const label = names && Object.keys(names).find((key) => names[key] === value);
    out[name] = label ?? value;
  }
  return out;
}

/**
 * A `cra_config` struct for `cra_resolver_new`: `cra_config_init`'s
 * defaults with the given options applied. Unknown option names are a
 * TypeError (a typo must not silently keep a default); numbers outside
 * uint32 and unknown enum names are a RangeError; the library checks the
 * ranges of the rest (CraError `CRA_ERR_INVALID_ARGUMENT`).
 *
 * @param {Record<string, unknown>} [options]
 * @returns {Record<string, number>}
 */
export function toNativeConfig(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('Resolver config must be an object');
  }
  const raw = initConfig();
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || BINDING_OPTIONS.has(name)) continue;
    const member = FIELDS[name];
    if (!member) {
      throw new TypeError(
        `unknown Resolver config option '${name}' (known: ${[...Object.keys(FIELDS), ...BINDING_OPTIONS].join(', ')})`,
      );
    }
    raw[member] = toUint32(name, value);
  }
  return raw;
}

/** camelCase session option → `cra_session_options` member. */
const SESSION_FIELDS = Object.freeze({ traceMode: 'trace_mode' });

/**
 * A `cra_session_options` struct for `cra_session_begin_with`:
 * `cra_session_options_init`'s defaults (the resolver's trace mode) with
 * the given options applied. `undefined` values keep the default. As for
 * the resolver config, unknown option names are a TypeError, unknown enum
 * names and numbers outside uint32 a RangeError, and the library checks
 * the rest (CraError `CRA_ERR_INVALID_ARGUMENT`).
 *
 * @param {Record<string, unknown>} options
 * @returns {Record<string, number>}
 */
export function toNativeSessionOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('beginSession options must be an object');
  }
  /** @type {Record<string, number>} */
  const raw = {};
  native().cra_session_options_init(raw);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const member = SESSION_FIELDS[name];
    if (!member) {
      throw new TypeError(
        `unknown beginSession option '${name}' (known: ${Object.keys(SESSION_FIELDS).join(', ')})`,
      );
    }
    raw[member] = toUint32(name, value, 'options');
  }
  return raw;
}

function initConfig() {
  /** @type {Record<string, number>} */
  const raw = {};
  native().cra_config_init(raw);
  return raw;
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {string} [owner] what the option belongs to, for messages
 */
function toUint32(name, value, owner = 'config') {
  const names = ENUMS[name];
  if (names && typeof value === 'string') {
    if (!Object.hasOwn(names, value)) {
      throw new RangeError(
        `${owner}.${name} must be one of ${Object.keys(names).join(', ')}, got '${value}'`,
      );
    }
    return names[value];
  }
  if (typeof value !== 'number') {
    throw new TypeError(`${owner}.${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${owner}.${name} must be an integer from 0 to 4294967295, got ${value}`);
  }
  return value;
}
