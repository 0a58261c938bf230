/**
 * @cra/libcra: Node.js binding of libcra's C ABI (version 1).
 *
 *     import { Resolver, verifyJsonl } from '@cra/libcra';
 *
 * See README.md ("Node") and index.d.ts for the API.
 * @module
 */
export { Resolver, DEFAULT_TIMEOUT_MS } from './src/resolver.js';
export { verifyJsonl, ChainFailure } from './src/verify.js';
export { abiVersion, version } from './src/version.js';
export { loadLibrary, DEFAULT_LIBRARY_PATH, ABI_VERSION } from './src/lib.js';
export { defaultConfig, TraceMode, Backpressure } from './src/config.js';
export { setMaxConcurrentWaits, getMaxConcurrentWaits } from './src/calls.js';
export {
  CraError,
  Status,
  statusName,
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
} from './src/errors.js';
