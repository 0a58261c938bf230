// Every failure is a CraError carrying the status code, its name and the
// library's message for that call.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  CRA_ERR_BACKPRESSURE,
  CRA_ERR_CONFLICT,
  CRA_ERR_INVALID_ARGUMENT,
  CRA_ERR_INVALID_ATLAS,
  CRA_ERR_INVALID_JSON,
  CRA_ERR_INVALID_REQUEST,
  CRA_ERR_IO,
  CRA_ERR_NOT_FOUND,
  CRA_ERR_PERMISSION,
  CRA_ERR_SESSION_ENDED,
  CRA_ERR_SHUTDOWN,
  CRA_ERR_TIMEOUT,
  CraError,
  Resolver,
  Status,
  statusName,
  verifyJsonl,
} from '../index.js';
import { holdProcessor } from '../src/testing.js';
import { UNKNOWN_SESSION, fixture, request } from './helpers.mjs';

const ATLAS = readFileSync(fixture('billing.atlas.json'), 'utf8');

/** An assert.throws / rejects matcher for a CraError with `code`. */
function craError(code, message) {
  return (error) => {
    assert.ok(error instanceof CraError, `expected a CraError, got ${error}`);
    assert.equal(error.name, 'CraError');
    assert.equal(error.code, code, error.message);
    assert.equal(error.status, statusName(code));
    assert.ok(error.message.length > 0);
    if (message) assert.match(error.message, message);
    return true;
  };
}

function withResolver(config, body) {
  return async () => {
    const resolver = new Resolver(config);
    try {
      await body(resolver);
    } finally {
      resolver.close();
    }
  };
}

test('status constants and names match the library', () => {
  assert.equal(Object.keys(Status).length, 15);
  for (const [name, code] of Object.entries(Status)) assert.equal(statusName(code), name);
  assert.equal(statusName(99), 'CRA_UNKNOWN');
  const error = new CraError(CRA_ERR_TIMEOUT, 'late');
  assert.ok(error instanceof Error);
  assert.equal(error.status, 'CRA_ERR_TIMEOUT');
  assert.match(String(error), /^CraError: late$/);
});

describe('backpressure', () => {
  test(
    'a full buffer refuses the operation with code 9 and records nothing',
    withResolver({ traceMode: 'deferred', bufferCapacity: 16 }, async (resolver) => {
      resolver.loadAtlas(ATLAS);
      holdProcessor(resolver, true);
      const sessionId = resolver.beginSession('agent-7', 'Refund');
      let failure;
      let resolved = 0;
      for (let i = 0; i < 16 && !failure; i += 1) {
        try {
          resolver.resolve(request(sessionId, { requestId: `req-${i}` }));
          resolved += 1;
        } catch (error) {
          failure = error;
        }
      }
      craError(CRA_ERR_BACKPRESSURE)(failure);
      // All or nothing: a resolve here is 6 events (request, 3 policies,
      // 1 context block, completion); the refused one left no partial events.
      const refused = resolver.stats();
      assert.equal(refused.eventsRejected, 6);
      assert.equal(refused.queueDepth, 1 + 6 * resolved);
      // Single-event session begins still fit until the buffer holds exactly 16.
      const extra = [];
      for (;;) {
        try {
          extra.push(resolver.beginSession(`agent-${extra.length}`, 'More'));
        } catch (error) {
          craError(CRA_ERR_BACKPRESSURE)(error);
          break;
        }
      }
      const before = resolver.stats();
      assert.equal(extra.length, 16 - refused.queueDepth);
      assert.equal(before.queueDepth, 16);
      assert.equal(before.eventsEmitted, 16);
      assert.throws(() => resolver.endSession(sessionId, 'done'), craError(CRA_ERR_BACKPRESSURE));
      assert.equal(resolver.stats().eventsEmitted, before.eventsEmitted);

      holdProcessor(resolver, false);
      await resolver.flushTraces({ timeoutMs: 5000 });
      const events = await resolver.getTraceEvents(sessionId);
      assert.equal(events.length, before.eventsEmitted - extra.length);
      assert.equal(events.filter((e) => e.event_type === 'carp.request.received').length, resolved);
      assert.equal(resolver.verifyChain(sessionId).valid, true);
      resolver.endSession(sessionId, 'done'); // room again
    }),
  );

  test(
    "'block' backpressure waits blockTimeoutMs before code 9",
    withResolver(
      { traceMode: 'deferred', bufferCapacity: 16, backpressure: 'block', blockTimeoutMs: 50 },
      async (resolver) => {
        holdProcessor(resolver, true);
        for (let i = 0; i < 16; i += 1) resolver.beginSession(`agent-${i}`, 'fill');
        const started = Date.now();
        assert.throws(() => resolver.beginSession('agent-x', 'one more'), craError(CRA_ERR_BACKPRESSURE));
        assert.ok(Date.now() - started >= 40);
      },
    ),
  );
});

describe('timeouts', () => {
  test(
    'waits on a held processor reject with code 10',
    withResolver({ traceMode: 'deferred' }, async (resolver) => {
      holdProcessor(resolver, true);
      const sessionId = resolver.beginSession('agent-7', 'Refund');
      assert.equal(resolver.isTraceReady(sessionId), false);
      await assert.rejects(resolver.awaitTraceReady(sessionId, { timeoutMs: 50 }), craError(CRA_ERR_TIMEOUT));
      await assert.rejects(resolver.awaitTraceReady(sessionId, { timeoutMs: 0 }), craError(CRA_ERR_TIMEOUT));
      await assert.rejects(resolver.flushTraces({ timeoutMs: 50 }), craError(CRA_ERR_TIMEOUT));
      await assert.rejects(resolver.getTrace(sessionId, { timeoutMs: 50 }), craError(CRA_ERR_TIMEOUT));
      await assert.rejects(resolver.getTraceEvents(sessionId, { timeoutMs: 0 }), craError(CRA_ERR_TIMEOUT));
      // partial never waits: nothing is stored yet.
      assert.equal(await resolver.getTrace(sessionId, { partial: true }), '');
      assert.deepEqual(await resolver.getTraceEvents(sessionId, { partial: true }), []);
      const report = resolver.verifyChain(sessionId);
      assert.equal(report.valid, true);
      assert.equal(report.events, 0);
      assert.equal(report.pending, 1);
    }),
  );

  test('timeoutMs must fit uint32', withResolver({}, async (resolver) => {
    const sessionId = resolver.beginSession('agent-7', 'Refund');
    await assert.rejects(resolver.awaitTraceReady(sessionId, { timeoutMs: -1 }), RangeError);
    await assert.rejects(resolver.flushTraces({ timeoutMs: 2 ** 32 }), RangeError);
    await assert.rejects(resolver.getTrace(sessionId, { timeoutMs: 1.5 }), RangeError);
  }));
});

describe('invalid input', () => {
  test('invalid JSON is code 2', withResolver({}, (resolver) => {
    assert.throws(() => resolver.loadAtlas('{"atlas_version": '), craError(CRA_ERR_INVALID_JSON));
    assert.throws(() => resolver.loadAtlas(''), craError(CRA_ERR_INVALID_JSON));
    assert.throws(() => resolver.resolve('{nope'), craError(CRA_ERR_INVALID_JSON, /not valid JSON/));
    assert.throws(() => resolver.resolveRaw(Buffer.from('[1,')), craError(CRA_ERR_INVALID_JSON));
  }));

  test('bad UTF-8, NUL characters and bad ids are code 1', withResolver({}, (resolver) => {
    assert.throws(() => resolver.resolve(Buffer.from([0x7b, 0xff, 0x7d])), craError(CRA_ERR_INVALID_ARGUMENT, /UTF-8/));
    assert.throws(() => verifyJsonl(Buffer.from([0xc3])), craError(CRA_ERR_INVALID_ARGUMENT, /UTF-8/));
    assert.throws(() => resolver.beginSession('agent\0-7', 'goal'), craError(CRA_ERR_INVALID_ARGUMENT, /NUL/));
    assert.throws(() => resolver.beginSession('', 'goal'), craError(CRA_ERR_INVALID_ARGUMENT));
    assert.throws(() => resolver.isTraceReady('not-a-session-id'), craError(CRA_ERR_INVALID_ARGUMENT));
  }));

  test('wrong JS types are TypeErrors', withResolver({}, async (resolver) => {
    assert.throws(() => resolver.beginSession(7, 'goal'), TypeError);
    assert.throws(() => resolver.endSession(UNKNOWN_SESSION), TypeError);
    assert.throws(() => resolver.resolve(42), TypeError);
    assert.throws(() => resolver.loadAtlas({ atlas_version: '1.0' }), TypeError);
    assert.throws(() => verifyJsonl(null), TypeError);
    await assert.rejects(resolver.awaitTraceReady(undefined), TypeError);
  }));

  test('atlas and request rule breaks are codes 3 and 4', withResolver({}, (resolver) => {
    const atlas = JSON.parse(ATLAS);
    atlas.policies[0].actions = ['*foo'];
    assert.throws(() => resolver.loadAtlas(JSON.stringify(atlas)), craError(CRA_ERR_INVALID_ATLAS, /\/policies\/0\/actions\/0/));
    resolver.loadAtlas(ATLAS);
    const sessionId = resolver.beginSession('agent-7', 'Refund');
    const noGoal = request(sessionId);
    noGoal.task.goal = '';
    assert.throws(() => resolver.resolve(noGoal), craError(CRA_ERR_INVALID_REQUEST));
    const stale = request(sessionId);
    stale.timestamp = '2001-01-01T00:00:00Z';
    assert.throws(() => resolver.resolve(stale), craError(CRA_ERR_INVALID_REQUEST));
  }));

  test('conflict, ended session, permission and IO are codes 6, 7, 8 and 12', withResolver({}, (resolver) => {
    resolver.loadAtlas(ATLAS);
    assert.throws(() => resolver.loadAtlas(ATLAS), craError(CRA_ERR_CONFLICT));
    const sessionId = resolver.beginSession('agent-7', 'Refund');
    resolver.resolve(request(sessionId, { requestId: 'once' }));
    assert.throws(() => resolver.resolve(request(sessionId, { requestId: 'once' })), craError(CRA_ERR_CONFLICT));
    assert.throws(() => resolver.resolve(request(sessionId, { agentId: 'intruder' })), craError(CRA_ERR_PERMISSION));
    resolver.endSession(sessionId, 'done');
    assert.throws(() => resolver.endSession(sessionId, 'again'), craError(CRA_ERR_SESSION_ENDED));
    assert.throws(() => resolver.resolve(request(sessionId)), craError(CRA_ERR_SESSION_ENDED));
    assert.throws(() => resolver.loadAtlasFile(fixture('missing.atlas.json')), craError(CRA_ERR_IO));
  }));
});

describe('unknown ids', () => {
  test('unknown sessions and atlases are code 5', withResolver({ traceMode: 'deferred' }, async (resolver) => {
    const notFound = craError(CRA_ERR_NOT_FOUND);
    assert.throws(() => resolver.endSession(UNKNOWN_SESSION, 'done'), notFound);
    assert.throws(() => resolver.isTraceReady(UNKNOWN_SESSION), notFound);
    assert.throws(() => resolver.verifyChain(UNKNOWN_SESSION), notFound);
    assert.throws(() => resolver.unloadAtlas('com.example.nowhere'), notFound);
    assert.throws(() => resolver.resolve(request(UNKNOWN_SESSION)), notFound);
    await assert.rejects(resolver.awaitTraceReady(UNKNOWN_SESSION, { timeoutMs: 10 }), notFound);
    await assert.rejects(resolver.getTrace(UNKNOWN_SESSION), notFound);
    await assert.rejects(resolver.getTrace(UNKNOWN_SESSION, { partial: true }), notFound);
    await assert.rejects(resolver.getTraceEvents(UNKNOWN_SESSION, { partial: true }), notFound);
  }));
});

describe('config', () => {
  test('the library range-checks settings (code 1, naming the field)', () => {
    assert.throws(() => new Resolver({ bufferCapacity: 8 }), craError(CRA_ERR_INVALID_ARGUMENT, /buffer_capacity/));
    assert.throws(() => new Resolver({ traceMode: 7 }), craError(CRA_ERR_INVALID_ARGUMENT));
  });

  test('typos and values that do not fit uint32 are refused before the library', () => {
    assert.throws(() => new Resolver({ bufferCapacty: 64 }), TypeError);
    assert.throws(() => new Resolver({ traceMode: 'lazy' }), RangeError);
    assert.throws(() => new Resolver({ ttlSeconds: -1 }), RangeError);
    assert.throws(() => new Resolver({ ttlSeconds: '60' }), TypeError);
  });
});

describe('after close()', () => {
  test('every method throws or rejects with code 13', async () => {
    const resolver = new Resolver({ traceMode: 'deferred' });
    const sessionId = resolver.beginSession('agent-7', 'Refund');
    assert.equal(resolver.closed, false);
    resolver.close();
    resolver.close(); // idempotent
    assert.equal(resolver.closed, true);

    const shutdown = craError(CRA_ERR_SHUTDOWN, /closed/);
    assert.throws(() => resolver.loadAtlas(ATLAS), shutdown);
    assert.throws(() => resolver.loadAtlasFile(fixture('billing.atlas.json')), shutdown);
    assert.throws(() => resolver.unloadAtlas('com.example.billing'), shutdown);
    assert.throws(() => resolver.beginSession('agent-7', 'Again'), shutdown);
    assert.throws(() => resolver.endSession(sessionId, 'done'), shutdown);
    assert.throws(() => resolver.resolve(request(sessionId)), shutdown);
    assert.throws(() => resolver.resolveRaw(request(sessionId)), shutdown);
    assert.throws(() => resolver.isTraceReady(sessionId), shutdown);
    assert.throws(() => resolver.verifyChain(sessionId), shutdown);
    assert.throws(() => resolver.stats(), shutdown);
    assert.throws(() => resolver.storeStats(), shutdown);
    assert.throws(() => resolver.sessionHead(sessionId), shutdown);
    assert.throws(() => resolver.resume(sessionId, 'restart'), shutdown);
    assert.throws(() => holdProcessor(resolver, true), shutdown);
    await assert.rejects(resolver.awaitDurable(sessionId), shutdown);
    await assert.rejects(resolver.awaitDurable(), shutdown);
    await assert.rejects(resolver.awaitTraceReady(sessionId), shutdown);
    await assert.rejects(resolver.flushTraces(), shutdown);
    await assert.rejects(resolver.getTrace(sessionId), shutdown);
    await assert.rejects(resolver.getTrace(sessionId, { partial: true }), shutdown);
    await assert.rejects(resolver.getTraceEvents(sessionId, { partial: true }), shutdown);
    await assert.rejects(resolver.getTraceJsonl(sessionId, { partial: true }), shutdown);
  });
});
