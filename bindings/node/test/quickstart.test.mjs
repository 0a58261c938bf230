// The quickstart scenario in immediate mode: atlases in, a resolution out,
// a trace that verifies here, in libcra and in the Python verifier.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ABI_VERSION, Resolver, abiVersion, defaultConfig, verifyJsonl, version } from '../index.js';
import { UNKNOWN_SESSION, fixture, pythonVerify, request } from './helpers.mjs';

test('library versions', () => {
  assert.equal(abiVersion(), ABI_VERSION);
  assert.match(version(), /^\d+\.\d+\.\d+/);
  // One version scheme: the major number is the C ABI version, for the
  // library and for this package alike.
  assert.equal(Number(version().split('.')[0]), abiVersion());
  const { version: packageVersion } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.equal(Number(packageVersion.split('.')[0]), ABI_VERSION);
});

test('defaultConfig mirrors cra_config_init', () => {
  assert.deepEqual(defaultConfig(), {
    traceMode: 'immediate',
    bufferCapacity: 4096,
    backpressure: 'error',
    blockTimeoutMs: 100,
    ttlSeconds: 3600,
    clockSkewSeconds: 300,
    shutdownTimeoutMs: 5000,
  });
});

describe('quickstart (immediate mode)', () => {
  /** @type {Resolver} */
  let resolver;
  before(() => {
    resolver = new Resolver();
    resolver.loadAtlas(readFileSync(fixture('billing.atlas.json'), 'utf8'));
    resolver.loadAtlasFile(fixture('support.atlas.json'));
  });
  after(() => resolver.close());

  test('resolve, read and verify a session', async () => {
    const sessionId = resolver.beginSession('agent-7', 'Refund the duplicate charge');
    assert.match(sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const resolution = resolver.resolve(request(sessionId, { requestId: 'req-1' }));
    assert.equal(resolution.carp_version, '1.0');
    assert.equal(resolution.request_id, 'req-1');
    assert.equal(resolution.decision.type, 'partial');
    assert.deepEqual(
      resolution.allowed_actions.map((a) => a.action_id),
      ['billing.invoice.read', 'billing.payment.refund', 'support.ticket.reply'],
    );
    assert.deepEqual(resolution.denied_actions, [
      {
        action_id: 'billing.account.delete',
        reason: 'Accounts are closed by the support team, not by agents.',
        policy_id: 'no-account-deletion',
      },
    ]);
    // Context from the file atlas's `files` was read relative to it.
    assert.deepEqual(
      resolution.context_blocks.map((b) => [b.block_id, b.content]),
      [
        ['billing-guide', 'Read the invoice before changing anything.'],
        ['support-tone', '# Tone\n\nBe brief and kind.\n'],
      ],
    );

    // resolveRaw returns the JSON text; JSON text in works too.
    const raw = resolver.resolveRaw(JSON.stringify(request(sessionId, { requestId: 'req-2' })));
    assert.equal(JSON.parse(raw).request_id, 'req-2');

    resolver.endSession(sessionId, 'done');
    assert.equal(resolver.isTraceReady(sessionId), true);

    const events = await resolver.getTraceEvents(sessionId);
    assert.deepEqual(
      events.map((e) => e.event_type),
      [
        'session.started',
        ...Array(2).fill([
          'carp.request.received',
          'policy.evaluated',
          'policy.evaluated',
          'policy.evaluated',
          'policy.evaluated',
          'context.injected',
          'context.injected',
          'carp.resolution.completed',
        ]).flat(),
        'session.ended',
      ],
    );
    assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i));
    assert.ok(events.every((e) => e.session_id === sessionId && e.trace_id === resolution.trace_id));

    const jsonl = await resolver.getTrace(sessionId, { timeoutMs: 100 });
    assert.equal(typeof jsonl, 'string');
    assert.deepEqual(jsonl.trimEnd().split('\n').map((line) => JSON.parse(line)), events);
    const partial = await resolver.getTrace(sessionId, { partial: true });
    assert.equal(partial, jsonl);
    // The deprecated name returns the very same text.
    assert.equal(await resolver.getTraceJsonl(sessionId), jsonl);
    assert.equal(await resolver.getTraceJsonl(sessionId, { partial: true }), jsonl);

    const chain = resolver.verifyChain(sessionId);
    const text = verifyJsonl(jsonl);
    assert.deepEqual(chain, {
      valid: true,
      events: events.length,
      pending: 0,
      firstBadIndex: -1,
      failure: null,
      headHash: events.at(-1).event_hash,
      message: null,
    });
    assert.deepEqual(text, chain);
    assert.deepEqual(verifyJsonl(Buffer.from(jsonl)), chain);

    const python = await pythonVerify(jsonl);
    assert.equal(python.code, 0, python.stdout + python.stderr);
  });

  test('verifyJsonl reports a tampered trace instead of throwing', async () => {
    const sessionId = resolver.beginSession('agent-7', 'Read an invoice');
    resolver.resolve(request(sessionId, { goal: 'Read an invoice', riskTier: 'low' }));
    const lines = (await resolver.getTrace(sessionId)).split('\n');
    const event = JSON.parse(lines[1]);
    event.payload.goal = 'Delete every account';
    lines[1] = JSON.stringify(event);

    const report = verifyJsonl(lines.join('\n'));
    assert.equal(report.valid, false);
    assert.equal(report.failure, 'hash_mismatch');
    assert.equal(report.firstBadIndex, 1);
    assert.equal(report.headHash, JSON.parse(lines[0]).event_hash);
    assert.match(report.message, /hash/);

    const dropped = verifyJsonl([lines[0], ...lines.slice(2)].join('\n'));
    assert.equal(dropped.failure, 'sequence_gap');
    assert.equal(dropped.firstBadIndex, 1);

    assert.equal(verifyJsonl('{"x":1}\n').failure, 'malformed');
    assert.deepEqual(verifyJsonl(''), {
      valid: true,
      events: 0,
      pending: 0,
      firstBadIndex: -1,
      failure: null,
      headHash: '',
      message: null,
    });
    const python = await pythonVerify(lines.join('\n'));
    assert.equal(python.code, 1);
  });

  test('non-ASCII and control characters survive the round trip and verify', async () => {
    const goal = 'Déployer — ünïcode ✓ 𝄞 "quoted" \\ back\nslash\u0007\u007f\u2028';
    const sessionId = resolver.beginSession('agent-ü', goal);
    resolver.resolve(request(sessionId, { agentId: 'agent-ü', goal }));
    resolver.endSession(sessionId, 'fin ✓');
    const events = await resolver.getTraceEvents(sessionId);
    assert.equal(events[0].payload.goal, goal);
    assert.equal(events[1].payload.goal, goal);
    assert.equal(events.at(-1).payload.reason, 'fin ✓');
    const jsonl = await resolver.getTrace(sessionId);
    assert.equal(verifyJsonl(jsonl).valid, true);
    const python = await pythonVerify(jsonl);
    assert.equal(python.code, 0, python.stdout + python.stderr);
  });

  test('the test vector verifies', () => {
    const vector = readFileSync(new URL('../../../tests/vectors/chain-valid.jsonl', import.meta.url));
    const report = verifyJsonl(vector);
    assert.equal(report.valid, true);
    assert.equal(report.events, 3);
  });

  test('unloadAtlas removes its actions', () => {
    const sessionId = resolver.beginSession('agent-8', 'Answer a ticket');
    resolver.unloadAtlas('com.example.support');
    const resolution = resolver.resolve(request(sessionId, { agentId: 'agent-8', goal: 'Answer a ticket' }));
    assert.ok(!resolution.allowed_actions.some((a) => a.action_id.startsWith('support.')));
    resolver.loadAtlasFile(new URL('fixtures/support.atlas.json', import.meta.url));
  });

  test('stats count sessions and events', () => {
    const stats = resolver.stats();
    assert.equal(stats.eventsEmitted, stats.eventsProcessed);
    assert.equal(stats.eventsRejected, 0);
    assert.equal(stats.queueCapacity, 0); // immediate mode has no buffer
    assert.ok(stats.sessionsActive >= 1);
  });

  test('verifyChain of an unknown session throws', () => {
    assert.throws(() => resolver.verifyChain(UNKNOWN_SESSION), { name: 'CraError', code: 5 });
  });
});

test(
  'a resolve before any atlas was ever loaded writes valid JSON Lines',
  async () => {
    const resolver = new Resolver();
    try {
      const sessionId = resolver.beginSession('agent-7', 'Nothing loaded yet');
      resolver.resolve(request(sessionId, { goal: 'Nothing loaded yet' }));
      const jsonl = await resolver.getTrace(sessionId);
      assert.equal(resolver.verifyChain(sessionId).valid, true); // libcra's own view
      assert.equal(verifyJsonl(jsonl).valid, true, verifyJsonl(jsonl).message);
      assert.equal((await pythonVerify(jsonl)).code, 0);
    } finally {
      resolver.close();
    }
  },
);
