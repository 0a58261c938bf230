// Loading, closing, garbage collection and native memory.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as esm from '../index.js';
import {
  CRA_ERR_SHUTDOWN,
  DEFAULT_LIBRARY_PATH,
  PREBUILT_LIBRARY_PATH,
  Resolver,
  getMaxConcurrentWaits,
  loadLibrary,
  setMaxConcurrentWaits,
} from '../index.js';
import { holdProcessor } from '../src/testing.js';
import { PACKAGE_DIR } from './helpers.mjs';

const run = promisify(execFile);

/** Runs a script of test/support in a fresh node, returning its JSON output. */
async function support(script, args = [], env = {}) {
  const { stdout } = await run(process.execPath, ['--expose-gc', join(PACKAGE_DIR, 'test/support', script), ...args], {
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** Prints the path of the library a fresh resolver loaded. */
const PRINT_LOADED_PATH =
  "import('@cra/libcra').then(m => { const r = new m.Resolver(); r.close(); console.log(m.loadLibrary().path); })";

const PLATFORM = `${process.platform}-${process.arch}`;

/**
 * Lays this package out as npm installs it, in a new project outside the
 * repository: `<project>/node_modules/@cra/libcra` holds what package.json
 * `files` ships, beside koffi; `prebuilt`, when given, is bundled as
 * prebuilds/<platform>-<arch>/libcra.so.1 the way scripts/pack-node.sh does.
 */
function installedCopy({ prebuilt } = {}) {
  const project = realpathSync(mkdtempSync(join(tmpdir(), 'cra-node-installed-')));
  const pkg = join(project, 'node_modules/@cra/libcra');
  const { files } = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  for (const entry of ['package.json', ...files]) {
    if (existsSync(join(PACKAGE_DIR, entry))) cpSync(join(PACKAGE_DIR, entry), join(pkg, entry), { recursive: true });
  }
  symlinkSync(join(PACKAGE_DIR, 'node_modules/koffi'), join(project, 'node_modules/koffi'));
  if (prebuilt) {
    mkdirSync(join(pkg, 'prebuilds', PLATFORM), { recursive: true });
    copyFileSync(prebuilt, join(pkg, 'prebuilds', PLATFORM, 'libcra.so.1'));
  }
  return { project, pkg, remove: () => rmSync(project, { recursive: true, force: true }) };
}

/** The environment of a host that chose nothing: no CRA_LIBRARY_PATH, no LD_LIBRARY_PATH. */
function unconfiguredEnv() {
  const { CRA_LIBRARY_PATH, LD_LIBRARY_PATH, ...env } = process.env;
  return env;
}

/** Whether the system loader alone finds libcra.so.1 (an installed libcra). */
async function systemHasLibcra() {
  const script = "try { require('koffi').load('libcra.so.1'); console.log('yes'); } catch { console.log('no'); }";
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: PACKAGE_DIR, env: unconfiguredEnv() });
  return stdout.trim() === 'yes';
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the default library path is the repository build', () => {
  assert.equal(DEFAULT_LIBRARY_PATH, join(PACKAGE_DIR, '../../target/release/libcra.so'));
  assert.equal(PREBUILT_LIBRARY_PATH, join(PACKAGE_DIR, 'prebuilds', PLATFORM, 'libcra.so.1'));
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

test('an installed package loads its bundled prebuild first', async () => {
  const { project, pkg, remove } = installedCopy({ prebuilt: DEFAULT_LIBRARY_PATH });
  try {
    const { stdout } = await run(process.execPath, ['-e', PRINT_LOADED_PATH], { cwd: project, env: unconfiguredEnv() });
    assert.equal(stdout.trim(), join(pkg, 'prebuilds', PLATFORM, 'libcra.so.1'));
    // An explicit choice still wins over the bundled library.
    const chosen = join(PACKAGE_DIR, '../../target/release/libcra.so.1');
    const explicit = await run(process.execPath, ['-e', PRINT_LOADED_PATH], {
      cwd: project,
      env: { ...unconfiguredEnv(), CRA_LIBRARY_PATH: chosen },
    });
    assert.equal(explicit.stdout.trim(), chosen);
  } finally {
    remove();
  }
});

test('an installed package without any libcra names every attempt and gives advice that fits it', async (t) => {
  if (await systemHasLibcra()) return t.skip('libcra.so.1 is installed where the system loader finds it');
  const { project, pkg, remove } = installedCopy();
  try {
    const failure = run(process.execPath, ['-e', PRINT_LOADED_PATH], { cwd: project, env: unconfiguredEnv() });
    await assert.rejects(failure, (error) => {
      const tried = [
        `${join(pkg, 'prebuilds', PLATFORM, 'libcra.so.1')} (no such file)`,
        `${join(project, 'node_modules/target/release/libcra.so')} (no such file)`,
        'libcra.so.1 (',
      ].map(escapeRegExp);
      assert.match(error.stderr, new RegExp(`libcra not found: tried ${tried.join('.*')}`, 's'));
      assert.match(error.stderr, /Install libcra where the system loader finds libcra\.so\.1, or set CRA_LIBRARY_PATH/);
      // The build script is only offered to someone in a checkout.
      assert.match(error.stderr, /\(in a libcra checkout, \.\/scripts\/build-lib\.sh builds/);
      assert.doesNotMatch(error.stderr, /Build it with/);
      return true;
    });
  } finally {
    remove();
  }
});

test('the CommonJS entry is the same module', () => {
  const cjs = createRequire(import.meta.url)('../index.cjs');
  assert.equal(cjs.Resolver, esm.Resolver);
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
});

test('close() waits for a running wait before freeing, and releases a hold', async () => {
  const resolver = new Resolver({ traceMode: 'deferred' });
  holdProcessor(resolver, true);
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
    holdProcessor(resolver, true);
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

test('the test hook is off the public surface', async () => {
  assert.equal('_holdProcessorForTest' in Resolver.prototype, false);
  assert.deepEqual(Object.keys(esm).filter((name) => /hold/i.test(name)), []);
  await assert.rejects(import('@cra/libcra/src/testing.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

test('Symbol.dispose closes the resolver; there is no async variant', () => {
  assert.equal(typeof Symbol.dispose, 'symbol', 'every Node this package supports (>= 20.19) has it');
  const resolver = new Resolver();
  resolver[Symbol.dispose]();
  assert.equal(resolver.closed, true);
  assert.throws(() => resolver.stats(), { code: CRA_ERR_SHUTDOWN });
  resolver[Symbol.dispose](); // idempotent, like close()
  assert.equal(Resolver.prototype[Symbol.asyncDispose], undefined);
});

/** Whether this Node parses `using` declarations (V8 has them from Node 24). */
const HAS_USING = (() => {
  try {
    new Function('{ using unused = null; }');
    return true;
  } catch {
    return false;
  }
})();

test('`using` closes the resolver at the end of its block', { skip: !HAS_USING && 'this Node has no `using` syntax' }, () => {
  // Compiled at run time: a `using` in this file would not parse on Node 20.
  const useAndLeak = new Function('Resolver', 'let leaked; { using resolver = new Resolver(); leaked = resolver; resolver.stats(); } return leaked;');
  assert.equal(useAndLeak(Resolver).closed, true);
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
