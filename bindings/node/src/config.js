/**
 * Resolver settings: camelCase mirrors of `cra_config`, with the
 * library's own defaults from `cra_config_init`.
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

function initConfig() {
  /** @type {Record<string, number>} */
  const raw = {};
  native().cra_config_init(raw);
  return raw;
}

/**
 * @param {string} name
 * @param {unknown} value
 */
function toUint32(name, value) {
  const names = ENUMS[name];
  if (names && typeof value === 'string') {
    if (!Object.hasOwn(names, value)) {
      throw new RangeError(
        `config.${name} must be one of ${Object.keys(names).join(', ')}, got '${value}'`,
      );
    }
    return names[value];
  }
  if (typeof value !== 'number') {
    throw new TypeError(`config.${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`config.${name} must be an integer from 0 to 4294967295, got ${value}`);
  }
  return value;
}
