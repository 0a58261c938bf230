// Waiting calls run on a worker thread: the event loop keeps serving
// timers while libcra waits on a held trace processor.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CRA_ERR_TIMEOUT, Resolver } from '../index.js';
import { holdProcessor } from '../src/testing.js';
import { fixture, request } from './helpers.mjs';

const TICK_MS = 10;

/** @type {Resolver} */
let resolver;
/** @type {string} */
let sessionId;

beforeEach(() => {
  resolver = new Resolver({ traceMode: 'deferred' });
  resolver.loadAtlas(readFileSync(fixture('billing.atlas.json')));
  // Hold before emitting, so the events below are certainly not stored yet.
  holdProcessor(resolver, true);
  sessionId = resolver.beginSession('agent-7', 'Refund the duplicate charge');
  resolver.resolve(request(sessionId));
});

afterEach(() => resolver.close());

/** Counts setInterval ticks while `promise` is pending. */
async function ticksWhile(promise) {
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, TICK_MS);
  try {
    await promise;
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

test('timers keep firing while awaitTraceReady waits until its timeout', async () => {
  const started = Date.now();
  let failure;
  const ticks = await ticksWhile(
    resolver.awaitTraceReady(sessionId, { timeoutMs: 600 }).catch((error) => {
      failure = error;
    }),
  );
  const elapsed = Date.now() - started;
  assert.equal(failure?.code, CRA_ERR_TIMEOUT, String(failure));
  assert.equal(failure.status, 'CRA_ERR_TIMEOUT');
  assert.ok(elapsed >= 550, `waited ${elapsed} ms`);
  // 600 ms at one tick per 10 ms: a blocked loop would show 0 or 1.
  assert.ok(ticks >= 20, `only ${ticks} ticks in ${elapsed} ms`);
  assert.equal(resolver.isTraceReady(sessionId), false);
});

test('a timer releases the processor while awaitTraceReady waits', async () => {
  const waiting = resolver.awaitTraceReady(sessionId, { timeoutMs: 10_000 });
  let released = false;
  const release = sleep(200).then(() => {
    released = true;
    holdProcessor(resolver, false);
  });
  const ticks = await ticksWhile(waiting);
  await release;
  assert.equal(released, true);
  assert.ok(ticks >= 10, `only ${ticks} ticks`);
  assert.equal(resolver.isTraceReady(sessionId), true);
  assert.equal(resolver.verifyChain(sessionId).valid, true);
});

test('flushTraces and a waiting getTrace do not block the loop either', async () => {
  let flushFailure;
  let traceFailure;
  const ticks = await ticksWhile(
    Promise.all([
      resolver.flushTraces({ timeoutMs: 400 }).catch((error) => {
        flushFailure = error;
      }),
      resolver.getTrace(sessionId, { timeoutMs: 400 }).catch((error) => {
        traceFailure = error;
      }),
    ]),
  );
  assert.equal(flushFailure?.code, CRA_ERR_TIMEOUT);
  assert.equal(traceFailure?.code, CRA_ERR_TIMEOUT);
  assert.ok(ticks >= 15, `only ${ticks} ticks`);
});
