// Durable stores: a SQLite file outlives its resolver, sessions resume,
// heads detect a trace whose end was cut off.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CRA_ERR_CHAIN_INVALID,
  CRA_ERR_CONFLICT,
  CRA_ERR_INVALID_ARGUMENT,
  CRA_ERR_IO,
  CRA_ERR_NOT_FOUND,
  CRA_ERR_SESSION_ENDED,
  CRA_ERR_TIMEOUT,
  ChainFailure,
  CraError,
  Resolver,
  getMaxConcurrentWaits,
  setMaxConcurrentWaits,
  verifyJsonl,
  verifyJsonlHead,
} from '../index.js';
import { native } from '../src/lib.js';
import { holdProcessor } from '../src/testing.js';
import { UNKNOWN_SESSION, fixture, pythonVerify, request } from './helpers.mjs';

const ATLAS = readFileSync(fixture('billing.atlas.json'), 'utf8');
const DIR = mkdtempSync(join(tmpdir(), 'cra-node-store-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

let files = 0;
/** A sqlite: URL of a new file in the test folder. */
function newStoreUrl(query = '') {
  files += 1;
  return `sqlite:${join(DIR, `trace-${files}.db`)}${query}`;
}

/** A resolver on `storeUrl` with the billing atlas loaded. */
function open(storeUrl, config = {}) {
  const resolver = new Resolver({ ...config, storeUrl });
  resolver.loadAtlas(ATLAS);
  return resolver;
}

/** An assert.throws / rejects matcher for a CraError with `code`. */
const craError = (code) => (error) => {
  assert.ok(error instanceof CraError, `expected a CraError, got ${error}`);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.length > 0);
  return true;
};

const lines = (jsonl) => jsonl.split('\n').filter((line) => line.length > 0);
const events = (jsonl) => lines(jsonl).map((line) => JSON.parse(line));

for (const traceMode of ['immediate', 'deferred']) {
  test(`a sqlite store is reopened with its traces, and an open session resumes (${traceMode})`, async () => {
    const storeUrl = newStoreUrl();
    const first = open(storeUrl, { traceMode });
    const ended = first.beginSession('agent-7', 'Refund the duplicate charge');
    first.resolve(request(ended, { requestId: 'r1' }));
    first.endSession(ended, 'done');
    const left = first.beginSession('agent-7', 'Close the month');
    first.resolve(request(left, { requestId: 'r1' }));
    await first.awaitDurable(ended, { timeoutMs: 10_000 });
    await first.awaitDurable();

    const traces = new Map();
    const heads = new Map();
    for (const id of [ended, left]) {
      const trace = await first.getTrace(id);
      const head = first.sessionHead(id);
      const all = events(trace);
      assert.deepEqual(head, { events: all.length, headHash: all.at(-1).event_hash });
      traces.set(id, trace);
      heads.set(id, head);
    }
    const stats = first.storeStats();
    assert.equal(stats.eventsDurable, heads.get(ended).events + heads.get(left).events, JSON.stringify(stats));
    assert.equal(stats.eventsWaiting, 0);
    assert.equal(stats.writeErrors, 0);
    assert.ok(stats.commits > 0);
    assert.equal(typeof stats.residentEventBytes, 'number');

    // One resolver per file.
    assert.throws(() => new Resolver({ storeUrl }), craError(CRA_ERR_IO));
    first.close();

    const second = open(storeUrl, { traceMode });
    try {
      for (const id of [ended, left]) {
        assert.equal(await second.getTrace(id), traces.get(id));
        assert.deepEqual(second.sessionHead(id), heads.get(id));
        const report = second.verifyChain(id);
        assert.equal(report.valid, true, report.message);
        assert.equal(report.events, heads.get(id).events);
        assert.equal(report.headHash, heads.get(id).headHash);
        assert.equal(verifyJsonlHead(traces.get(id), heads.get(id)).valid, true);
      }

      assert.throws(() => second.resume(ended, 'restart'), craError(CRA_ERR_SESSION_ENDED));
      assert.throws(() => second.resume(UNKNOWN_SESSION, 'restart'), craError(CRA_ERR_NOT_FOUND));
      // Until resumed, the stored session is not active here.
      assert.throws(() => second.resolve(request(left, { requestId: 'r2' })), craError(CRA_ERR_NOT_FOUND));
      second.resume(left, 'process restarted');
      assert.throws(() => second.resume(left, 'again'), craError(CRA_ERR_CONFLICT));
      second.resolve(request(left, { requestId: 'r2' }));
      second.endSession(left, 'done');
      await second.awaitDurable(left);

      const trace = await second.getTrace(left);
      assert.ok(trace.startsWith(traces.get(left)), 'the resumed trace continues the stored one');
      const all = events(trace);
      const before = heads.get(left).events;
      assert.equal(all[before].event_type, 'session.resumed');
      assert.equal(all[before].payload.reason, 'process restarted');
      assert.equal(all.at(-1).event_type, 'session.ended');
      assert.ok(all.length > before + 2);
      const report = second.verifyChain(left);
      assert.equal(report.valid, true, report.message);
      assert.equal(report.events, all.length);
      // The earlier head still holds: the chain only grew.
      assert.equal(verifyJsonlHead(trace, heads.get(left)).valid, true);
      const verified = await pythonVerify(trace);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    } finally {
      second.close();
    }
  });
}

test('the memory store: storeUrl "" and "memory:"', async () => {
  for (const storeUrl of ['', 'memory:']) {
    const resolver = open(storeUrl);
    try {
      const id = resolver.beginSession('agent-7', 'Refund');
      await resolver.awaitDurable(id);
      await resolver.awaitDurable({ timeoutMs: 1000 });
      await resolver.awaitDurable(null, { timeoutMs: 1000 });
      const stats = resolver.storeStats();
      assert.equal(stats.eventsDurable, 1);
      assert.equal(stats.sessionsInMemory, 1);
      const head = resolver.sessionHead(id);
      assert.equal(head.events, 1);
      assert.match(head.headHash, /^[0-9a-f]{64}$/);
      assert.throws(() => resolver.resume(id, 'x'), craError(CRA_ERR_CONFLICT));
      assert.throws(() => resolver.resume(UNKNOWN_SESSION, 'x'), craError(CRA_ERR_NOT_FOUND));
      assert.throws(() => resolver.sessionHead(UNKNOWN_SESSION), craError(CRA_ERR_NOT_FOUND));
      assert.throws(() => resolver.sessionHead('not-an-id'), craError(CRA_ERR_INVALID_ARGUMENT));
      await assert.rejects(resolver.awaitDurable(UNKNOWN_SESSION), craError(CRA_ERR_NOT_FOUND));
      await assert.rejects(resolver.awaitDurable('not-an-id'), craError(CRA_ERR_INVALID_ARGUMENT));
      await assert.rejects(resolver.awaitDurable(7), TypeError);
    } finally {
      resolver.close();
    }
  }
});

test('bad store URLs', () => {
  for (const storeUrl of [
    'nosuch:x',
    'sqlite:',
    newStoreUrl('?bogus=1'),
    newStoreUrl('?sync=sometimes'),
    newStoreUrl('?max_waiting_mb=lots'),
    `${newStoreUrl()}\0`,
  ]) {
    assert.throws(() => new Resolver({ storeUrl }), craError(CRA_ERR_INVALID_ARGUMENT), storeUrl);
  }
  assert.throws(() => new Resolver({ storeUrl: 'postgres://localhost/cra' }), craError(CRA_ERR_IO));
  assert.throws(
    () => new Resolver({ storeUrl: `sqlite:${join(DIR, 'no/such/folder/t.db')}` }),
    craError(CRA_ERR_IO),
  );
  assert.throws(() => new Resolver({ storeUrl: 7 }), TypeError);
  // The config is checked as without a store.
  assert.throws(
    () => new Resolver({ storeUrl: newStoreUrl(), traceMode: 'deferred', bufferCapacity: 1 }),
    craError(CRA_ERR_INVALID_ARGUMENT),
  );
  new Resolver({ storeUrl: newStoreUrl('?sync=full&max_waiting_mb=8') }).close();
});

test('awaitDurable times out while nothing is committed, and holds a wait slot', async () => {
  const limit = getMaxConcurrentWaits();
  setMaxConcurrentWaits(1);
  const resolver = open(newStoreUrl(), { traceMode: 'deferred' });
  try {
    holdProcessor(resolver, true);
    const id = resolver.beginSession('agent-7', 'Refund');
    const started = Date.now();
    const durable = resolver.awaitDurable(id, { timeoutMs: 300 });
    // Queued behind awaitDurable: only one wait may run at once.
    let readyAt = 0;
    const ready = resolver.awaitTraceReady(id, { timeoutMs: 0 }).catch((error) => {
      readyAt = Date.now();
      return error;
    });
    await assert.rejects(durable, craError(CRA_ERR_TIMEOUT));
    assert.ok(Date.now() - started >= 250, 'awaitDurable returned before its timeout');
    assert.equal((await ready).code, CRA_ERR_TIMEOUT);
    assert.ok(readyAt - started >= 250, `the queued wait ran after ${readyAt - started} ms, alongside awaitDurable`);
    assert.equal(resolver.storeStats().eventsDurable, 0);

    holdProcessor(resolver, false);
    await resolver.awaitDurable({ timeoutMs: 10_000 });
    assert.equal(resolver.storeStats().eventsDurable, 1);
  } finally {
    resolver.close();
    setMaxConcurrentWaits(limit);
  }
});

describe('verifyJsonlHead', () => {
  test('tells a cut-off trace and another head from an intact trace', async () => {
    const resolver = open(undefined);
    try {
      const id = resolver.beginSession('agent-7', 'Refund the duplicate charge');
      resolver.resolve(request(id));
      const trace = await resolver.getTrace(id);
      const head = resolver.sessionHead(id);
      const intact = verifyJsonlHead(trace, head);
      assert.deepEqual(intact, { ...verifyJsonl(trace), valid: true });
      assert.equal(intact.headHash, head.headHash);
      assert.equal(verifyJsonlHead(Buffer.from(trace), { ...head, events: BigInt(head.events) }).valid, true);

      // The last line cut off: a valid chain by itself, but truncated.
      const cut = `${lines(trace).slice(0, -1).join('\n')}\n`;
      assert.equal(verifyJsonl(cut).valid, true);
      const truncated = verifyJsonlHead(cut, head);
      assert.equal(truncated.valid, false);
      assert.equal(truncated.failure, 'truncated');
      assert.equal(truncated.firstBadIndex, head.events - 1);
      assert.equal(typeof truncated.message, 'string');

      const mismatch = verifyJsonlHead(trace, { ...head, headHash: 'ab'.repeat(32) });
      assert.equal(mismatch.valid, false);
      assert.equal(mismatch.failure, 'head_mismatch');

      // Bad heads, and text of two sessions.
      for (const headHash of ['', 'xyz', 'AB'.repeat(32), 'ab'.repeat(33), `${'a'.repeat(63)}\0`, 'é'.repeat(32)]) {
        assert.throws(() => verifyJsonlHead(trace, { ...head, headHash }), craError(CRA_ERR_INVALID_ARGUMENT), headHash);
      }
      const other = resolver.beginSession('agent-7', 'Another');
      const both = trace + (await resolver.getTrace(other));
      assert.throws(() => verifyJsonlHead(both, head), craError(CRA_ERR_INVALID_ARGUMENT));
      assert.throws(() => verifyJsonlHead(Buffer.from([0xc3]), head), craError(CRA_ERR_INVALID_ARGUMENT));
      assert.throws(() => verifyJsonlHead(trace, null), TypeError);
      assert.throws(() => verifyJsonlHead(trace, { headHash: head.headHash }), TypeError);
      assert.throws(() => verifyJsonlHead(trace, { events: '3', headHash: head.headHash }), TypeError);
      assert.throws(() => verifyJsonlHead(trace, { events: -1, headHash: head.headHash }), RangeError);
      assert.throws(() => verifyJsonlHead(trace, { events: 2 ** 64, headHash: head.headHash }), RangeError);
      assert.throws(() => verifyJsonlHead(trace, { events: 1n << 64n, headHash: head.headHash }), RangeError);
      assert.throws(() => verifyJsonlHead(trace, { events: head.events }), TypeError);
    } finally {
      resolver.close();
    }
  });

  test('ChainFailure names the values libcra names alike', () => {
    assert.deepEqual(Object.keys(ChainFailure), [
      'malformed', 'sequence_gap', 'chain_broken', 'hash_mismatch', 'session_mismatch', 'truncated', 'head_mismatch',
    ]);
    for (const [name, code] of Object.entries(ChainFailure)) {
      assert.equal(native().cra_chain_failure_name(code), `CRA_CHAIN_${name.replace(/^chain_/, '').toUpperCase()}`);
    }
    assert.equal(native().cra_chain_failure_name(8), 'CRA_CHAIN_UNKNOWN');
    assert.equal(CRA_ERR_CHAIN_INVALID, 11);
  });
});
