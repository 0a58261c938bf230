// Deferred mode at scale: 1000 sessions resolved in a loop, awaited
// concurrently, every trace verified here and by the Python verifier.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Resolver, getMaxConcurrentWaits, verifyJsonl } from '../index.js';
import { fixture, pythonVerify, request } from './helpers.mjs';

const SESSIONS = 1000;

test(`${SESSIONS} deferred sessions awaited with Promise.all all verify`, async () => {
  const resolver = new Resolver({ traceMode: 'deferred', bufferCapacity: 1 << 16 });
  try {
    resolver.loadAtlas(readFileSync(fixture('billing.atlas.json')));

    const sessions = [];
    for (let i = 0; i < SESSIONS; i += 1) {
      const agentId = `agent-${i}`;
      const sessionId = resolver.beginSession(agentId, `Refund charge ${i}`);
      const resolution = resolver.resolve(request(sessionId, { agentId, requestId: `req-${i}` }));
      assert.equal(resolution.decision.type, 'partial');
      resolver.endSession(sessionId, 'done');
      sessions.push(sessionId);
    }

    // Far more waits than the wait gate lets onto libuv's pool at once.
    assert.ok(SESSIONS > getMaxConcurrentWaits());
    await Promise.all(sessions.map((id) => resolver.awaitTraceReady(id, { timeoutMs: 30_000 })));
    assert.ok(sessions.every((id) => resolver.isTraceReady(id)));

    const traces = await Promise.all(sessions.map((id) => resolver.getTrace(id, { timeoutMs: 1000 })));
    const perSession = 1 + 1 + 3 + 1 + 1 + 1; // started, request, 3 policies, context, completed, ended
    for (const [i, jsonl] of traces.entries()) {
      const report = verifyJsonl(jsonl);
      assert.equal(report.valid, true, `session ${i}: ${report.message}`);
      assert.equal(report.events, perSession);
      assert.deepEqual(resolver.verifyChain(sessions[i]), { ...report, pending: 0 });
    }

    const all = traces.join('');
    const combined = verifyJsonl(all);
    assert.equal(combined.valid, true);
    assert.equal(combined.events, SESSIONS * perSession);

    const python = await pythonVerify(all, { multi: true });
    assert.equal(python.code, 0, python.stdout + python.stderr);

    const stats = resolver.stats();
    assert.equal(stats.eventsEmitted, SESSIONS * perSession);
    assert.equal(stats.eventsProcessed, stats.eventsEmitted);
    assert.equal(stats.eventsRejected, 0);
    assert.equal(stats.queueDepth, 0);
    assert.equal(stats.queueCapacity, 1 << 16);
    assert.equal(stats.sessionsActive, 0);

    await resolver.flushTraces({ timeoutMs: 1000 });
  } finally {
    resolver.close();
  }
});
