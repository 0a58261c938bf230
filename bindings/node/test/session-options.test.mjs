// Per-session trace mode (ABI.md "Per-session trace mode"): one resolver
// serves immediate and deferred sessions at once; a session's mode is fixed
// when it begins, and the waits work for both.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CRA_ERR_INVALID_ARGUMENT,
  CRA_ERR_SHUTDOWN,
  CRA_ERR_TIMEOUT,
  Resolver,
  abiMinor,
  verifyJsonl,
} from '../index.js';
import { holdProcessor } from '../src/testing.js';
import { fixture, pythonVerify, request } from './helpers.mjs';

const AGENT = 'agent-7';
const GOAL = 'Refund the duplicate charge';

/** A resolver with the billing atlas; close it when done. */
function billing(config) {
  const resolver = new Resolver(config);
  resolver.loadAtlas(readFileSync(fixture('billing.atlas.json')));
  return resolver;
}

/** Asserts that fn throws a CraError with this code. */
function throwsCode(fn, code) {
  assert.throws(fn, (error) => {
    assert.equal(error.name, 'CraError');
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('abiMinor() reports the per-session trace mode addition', () => {
  assert.ok(Number.isInteger(abiMinor()));
  assert.ok(abiMinor() >= 1, `abiMinor() = ${abiMinor()}`);
});

test('an immediate resolver with an immediate and a deferred session', async () => {
  const resolver = billing(); // immediate
  try {
    // Held before the first deferred session starts the processor: the
    // hold applies to it from its first event on.
    holdProcessor(resolver, true);
    const live = resolver.beginSession(AGENT, GOAL, {}); // the resolver's mode
    const swarm = resolver.beginSession(AGENT, GOAL, { traceMode: 'deferred' });
    for (const sessionId of [live, swarm]) {
      assert.equal(resolver.resolve(request(sessionId, { agentId: AGENT, goal: GOAL })).decision.type, 'partial');
    }

    assert.equal(resolver.isTraceReady(live), true);
    assert.equal(resolver.isTraceReady(swarm), false);
    await resolver.awaitTraceReady(live, { timeoutMs: 0 });
    await assert.rejects(resolver.awaitTraceReady(swarm, { timeoutMs: 50 }), (error) => {
      assert.equal(error.code, CRA_ERR_TIMEOUT);
      return true;
    });
    assert.equal(await resolver.getTrace(swarm, { partial: true }), '');
    assert.notEqual(await resolver.getTrace(live, { partial: true }), '');
    const held = resolver.stats();
    assert.ok(held.queueDepth > 0, JSON.stringify(held));
    assert.equal(held.sessionsActive, 2);

    holdProcessor(resolver, false);
    for (const sessionId of [live, swarm]) resolver.endSession(sessionId, 'done');
    await resolver.flushTraces({ timeoutMs: 30_000 });

    const traces = [];
    for (const sessionId of [live, swarm]) {
      assert.equal(resolver.isTraceReady(sessionId), true);
      const jsonl = await resolver.getTrace(sessionId);
      const report = verifyJsonl(jsonl);
      assert.equal(report.valid, true, report.message);
      assert.deepEqual(resolver.verifyChain(sessionId), { ...report, pending: 0 });
      const events = jsonl.trim().split('\n').map((line) => JSON.parse(line));
      assert.equal(events[0].event_type, 'session.started');
      assert.equal(events.at(-1).event_type, 'session.ended');
      traces.push({ jsonl, events: report.events });
    }
    // The same work records the same events in either mode.
    assert.equal(traces[0].events, traces[1].events);
    const python = await pythonVerify(traces.map((t) => t.jsonl).join(''), { multi: true });
    assert.equal(python.code, 0, python.stdout + python.stderr);
  } finally {
    resolver.close();
  }
});

test('a deferred resolver with an immediate session', async () => {
  const resolver = billing({ traceMode: 'deferred' });
  try {
    holdProcessor(resolver, true);
    const swarm = resolver.beginSession(AGENT, GOAL); // no options: the resolver's mode
    const live = resolver.beginSession(AGENT, GOAL, { traceMode: 'immediate' });
    const defaults = resolver.beginSession(AGENT, GOAL, { traceMode: undefined });
    assert.equal(resolver.isTraceReady(live), true);
    assert.equal(resolver.isTraceReady(swarm), false);
    assert.equal(resolver.isTraceReady(defaults), false);
    holdProcessor(resolver, false);
    for (const sessionId of [live, swarm, defaults]) {
      assert.equal(verifyJsonl(await resolver.getTrace(sessionId)).valid, true);
    }
  } finally {
    resolver.close();
  }
});

test('bad session options are refused and create no session', () => {
  const resolver = billing();
  try {
    // A number libcra does not know: the library refuses it.
    for (const traceMode of [3, 7, 0xffffffff]) {
      throwsCode(() => resolver.beginSession(AGENT, GOAL, { traceMode }), CRA_ERR_INVALID_ARGUMENT);
    }
    // What the binding can tell is wrong on its own.
    assert.throws(() => resolver.beginSession(AGENT, GOAL, { traceMode: 'sometimes' }), RangeError);
    assert.throws(() => resolver.beginSession(AGENT, GOAL, { traceMode: -1 }), RangeError);
    assert.throws(() => resolver.beginSession(AGENT, GOAL, { traceMode: true }), TypeError);
    assert.throws(() => resolver.beginSession(AGENT, GOAL, { tracemode: 'deferred' }), TypeError);
    assert.throws(() => resolver.beginSession(AGENT, GOAL, 'deferred'), TypeError);
    // The other arguments are checked as without options.
    throwsCode(() => resolver.beginSession('', GOAL, { traceMode: 'deferred' }), CRA_ERR_INVALID_ARGUMENT);
    const stats = resolver.stats();
    assert.equal(stats.sessionsActive, 0);
    assert.equal(stats.eventsEmitted, 0);
  } finally {
    resolver.close();
  }
  throwsCode(() => resolver.beginSession(AGENT, GOAL, { traceMode: 'deferred' }), CRA_ERR_SHUTDOWN);
});
