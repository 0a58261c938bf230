// Loading, closing, garbage collection and native memory.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as esm from '../index.js';
import {
  CRA_ERR_SHUTDOWN,
  DEFAULT_LIBRARY_PATH,
  Resolver,
  getMaxConcurrentWaits,
  loadLibrary,
  setMaxConcurrentWaits,
} from '../index.js';
import { PACKAGE_DIR } from './helpers.mjs';

const run = promisify(execFile);

/** Runs a script of test/support in a fresh node, returning its JSON output. */
async function support(script, args = [], env = {}) {
  const { stdout } = await run(process.execPath, ['--expose-gc', join(PACKAGE_DIR, 'test/support', script), ...args], {
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

test('the default library path is the repository build', () => {
  assert.equal(DEFAULT_LIBRARY_PATH, join(PACKAGE_DIR, '../../target/release/libcra.so'));
  const lib = loadLibrary();
  assert.equal(loadLibrary({ path: lib.path }), lib);
  assert.throws(() => loadLibrary({ path: '/elsewhere/libcra.so' }), /already loaded/);
});

test('CRA_LIBRARY_PATH chooses the library; a missing one is a clear error', async () => {
  const script = "import('@cra/libcra').then(m => { const r = new m.Resolver(); r.close(); console.log(m.loadLibrary().path); })";
  const soname = join(PACKAGE_DIR, '../../target/release/libcra.so.1');
  const { stdout } = await run(process.execPath, ['-e', script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, CRA_LIBRARY_PATH: soname },
  });
  assert.equal(stdout.trim(), soname);
  await assert.rejects(
    run(process.execPath, ['-e', script], { cwd: PACKAGE_DIR, env: { ...process.env, CRA_LIBRARY_PATH: '/nowhere/libcra.so' } }),
    (error) => /libcra not found: tried \/nowhere\/libcra\.so \(no such file\).*CRA_LIBRARY_PATH/s.test(error.stderr),
  );
});

test('a bare library name is left to the system loader', async () => {
  const script = "import('@cra/libcra').then(m => { const r = new m.Resolver(); r.close(); console.log(m.loadLibrary().path); })";
  const folder = join(PACKAGE_DIR, '../../target/release');
  const { stdout } = await run(process.execPath, ['-e', script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, CRA_LIBRARY_PATH: 'libcra.so.1', LD_LIBRARY_PATH: folder },
  });
  assert.equal(stdout.trim(), 'libcra.so.1');
  await assert.rejects(
    run(process.execPath, ['-e', script], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, CRA_LIBRARY_PATH: 'libcra-missing.so.1', LD_LIBRARY_PATH: '' },
    }),
    (error) => /libcra not found: tried libcra-missing\.so\.1 \(.+\)/s.test(error.stderr),
  );
});

test('the CommonJS entry is the same module', () => {
  const cjs = createRequire(import.meta.url)('../index.cjs');
  assert.equal(cjs.Resolver, esm.Resolver);
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
});

test('close() waits for a running wait before freeing, and releases a hold', async () => {
  const resolver = new Resolver({ traceMode: 'deferred' });
  resolver._holdProcessorForTest(true);
  const sessionId = resolver.beginSession('agent-7', 'Refund');
  const waiting = resolver.awaitTraceReady(sessionId, { timeoutMs: 30_000 });
  await new Promise((resolve) => setTimeout(resolve, 50)); // the wait is on a worker now
  const started = Date.now();
  resolver.close();
  assert.equal(resolver.closed, true);
  await waiting; // the hold was released, the session got ready, then the handle was freed
  assert.ok(Date.now() - started < 5000);
  assert.throws(() => resolver.stats(), { code: CRA_ERR_SHUTDOWN });
});

test('waits queued behind the concurrency gate reject once the resolver is closed', async () => {
  const limit = getMaxConcurrentWaits();
  setMaxConcurrentWaits(1);
  try {
    const resolver = new Resolver({ traceMode: 'deferred' });
    resolver._holdProcessorForTest(true);
    const sessionId = resolver.beginSession('agent-7', 'Refund');
    const first = resolver.awaitTraceReady(sessionId, { timeoutMs: 30_000 });
    const queued = resolver.flushTraces({ timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    resolver.close();
    await first;
    await assert.rejects(queued, { code: CRA_ERR_SHUTDOWN });
  } finally {
    setMaxConcurrentWaits(limit);
  }
  assert.throws(() => setMaxConcurrentWaits(0), RangeError);
});

test('a garbage-collected resolver is freed by the FinalizationRegistry', async () => {
  const { count, start, created, after } = await support('gc-finalize.mjs');
  assert.ok(created >= start + count, `each deferred resolver runs a processor thread (${start} -> ${created})`);
  assert.ok(after <= start, `processor threads left after GC: ${after - start}`);
});

test('every cra_error and cra_buf is freed (C heap stays flat)', async () => {
  const { rounds, bytesPerRound } = await support('leak-check.mjs', ['4000']);
  // One leaked cra_error is over 100 bytes and one leaked trace buffer
  // several hundred; the measurement noise is a few tens of bytes a round.
  assert.ok(bytesPerRound < 64, `${bytesPerRound} bytes of C heap kept per round over ${rounds} rounds`);
});
