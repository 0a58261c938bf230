/**
 * Test support, kept off the public API: the package's `exports` map does
 * not expose this module, so only the binding's own tests (which import it
 * by relative path) can reach it. It wraps `cra_test_hold_processor`, which
 * libcra declares in cra_testing.h rather than cra.h.
 * @module
 */
import { handleOf } from './resolver.js';

/**
 * Holds (or releases) a deferred resolver's trace processor: while held it
 * stores nothing, so events queue up, waits time out and a small buffer
 * fills deterministically. No effect in immediate mode. close() releases a
 * hold, so waits blocked on it finish before their timeout.
 *
 * @param {import('./resolver.js').Resolver} resolver
 * @param {boolean} hold
 * @throws {import('./errors.js').CraError} CRA_ERR_SHUTDOWN once closed
 */
export function holdProcessor(resolver, hold) {
  handleOf(resolver).holdProcessor('holdProcessor', Boolean(hold));
}
