// Quickstart: load an atlas, open a session, resolve a request, then read
// and verify the session's audit trail.
//
//     cd bindings/node && npm ci && node examples/quickstart.mjs
//
// libcra.so comes from the repository build (./scripts/build-lib.sh) or
// from $CRA_LIBRARY_PATH.
import { Resolver, CraError, verifyJsonl, version } from '@cra/libcra';

const atlas = new URL('../test/fixtures/billing.atlas.json', import.meta.url);

// Deferred mode: resolve() only queues the trace events; a background
// thread hashes and chains them, and we await that off the main thread.
const resolver = new Resolver({ traceMode: 'deferred' });
try {
  resolver.loadAtlasFile(atlas);

  const sessionId = resolver.beginSession('agent-7', 'Refund the duplicate charge');
  const resolution = resolver.resolve({
    carp_version: '1.0',
    request_id: 'req-1',
    timestamp: new Date().toISOString(),
    operation: 'resolve',
    requester: { agent_id: 'agent-7', session_id: sessionId },
    task: { goal: 'Refund the duplicate charge', risk_tier: 'high' },
  });

  console.log(`libcra ${version()}: decision ${resolution.decision.type}`);
  for (const action of resolution.allowed_actions) console.log(`  allowed  ${action.action_id}`);
  for (const action of resolution.denied_actions) {
    console.log(`  denied   ${action.action_id} (${action.policy_id}: ${action.reason})`);
  }

  resolver.endSession(sessionId, 'done');
  await resolver.awaitTraceReady(sessionId, { timeoutMs: 2000 });

  const jsonl = await resolver.getTrace(sessionId); // TRACE/1.0 JSON Lines text
  const report = verifyJsonl(jsonl);
  console.log(`trace: ${report.events} events, valid=${report.valid}, head ${report.headHash}`);

  try {
    resolver.endSession(sessionId, 'twice');
  } catch (error) {
    if (!(error instanceof CraError)) throw error;
    console.log(`ending it again fails: ${error.status} (${error.code}): ${error.message}`);
  }
} finally {
  resolver.close();
}
