/**
 * @cra/libcra: Node.js binding of libcra's C ABI (version 1).
 *
 *     import { Resolver, verifyJsonl } from '@cra/libcra';
 *
 * See README.md (here, and the repository's "Node" section) and index.d.ts
 * for the API.
 * @module
 */
export { Resolver, DEFAULT_TIMEOUT_MS } from './src/resolver.js';
export { verifyJsonl, verifyJsonlHead, ChainFailure } from './src/verify.js';
export { abiVersion, abiMinor, version } from './src/version.js';
export {
  loadLibrary,
  PREBUILT_LIBRARY_PATH,
  DEFAULT_LIBRARY_PATH,
  SYSTEM_LIBRARY,
  ABI_VERSION,
} from './src/lib.js';
export { defaultConfig, TraceMode, Backpressure } from './src/config.js';
export { setMaxConcurrentWaits, getMaxConcurrentWaits } from './src/calls.js';
// The error class, statusName, the Status table and every CRA_* code.
export * from './src/errors.js';
