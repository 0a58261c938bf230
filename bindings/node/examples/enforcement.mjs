// Enforcement: checking each action before running it, in Node — the loop
// of examples/enforcement.c, with the same atlas (examples/data/ops.atlas.json:
// a refund with a parameters_schema and a require_approval policy, an export
// rate limited to 2 calls per 60 s, and an allow-all policy).
//
//   1. create a resolver and load the atlas;
//   2. begin a session and resolve: the resolution needs an approval;
//   3. check the refund with bad parameters (denied: schema), with good ones
//      (denied: approval required), grant the approval, check again
//      (approved), run it and report it executed;
//   4. check the export three times (the third is denied: rate limit), run
//      the two approved ones and report one executed, the other failed;
//   5. end the session, fetch its trace and verify its hash chain.
//
// From the repository root, after `cargo build --release` (or
// ./scripts/build-lib.sh) and `npm ci` in bindings/node:
//
//     node bindings/node/examples/enforcement.mjs [--trace-out FILE] [ATLAS.json]
//
// --trace-out writes the trace (TRACE/1.0 JSON Lines) to FILE, for
// `python3 tools/cra-verify FILE`. Exit status 0 when every step did what
// the comments say, 1 otherwise (the step is named on stderr).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CraError, Resolver, verifyJsonl } from '@cra/libcra';

const AGENT_ID = 'agent-7';
const GOAL = 'Refund a customer and export the report';

/** A step that did not come out as the comments say. */
class Unexpected extends Error {}

/** Throws Unexpected naming `what` unless `condition` holds. */
function expect(condition, what) {
  if (!condition) throw new Unexpected(what);
}

const { values: flags, positionals } = parseArgs({
  options: { 'trace-out': { type: 'string' } },
  allowPositionals: true,
});
const atlasPath =
  positionals[0] ?? fileURLToPath(new URL('../../../examples/data/ops.atlas.json', import.meta.url));

// Stand-ins for the host's real work: the refund succeeds, the second
// export times out.
let exportsRun = 0;
async function refund({ amount_cents }) {
  return { refund_id: 'rf_1001', amount_cents };
}
async function exportReport() {
  exportsRun += 1;
  if (exportsRun === 2) {
    throw Object.assign(new Error('the report store did not answer in 3 s'), { code: 'timeout' });
  }
  return { rows: 1284 };
}

// 1. A resolver with the defaults (immediate mode) and the ops atlas.
const resolver = new Resolver();
try {
  resolver.loadAtlasFile(atlasPath);
  console.log(`loaded atlas ${atlasPath}`);

  // 2. A session and its resolution. The refund's require_approval policy
  //    makes the decision "requires_approval", with an approval id.
  const sessionId = resolver.beginSession(AGENT_ID, GOAL);
  console.log(`session ${sessionId} begun for ${AGENT_ID}`);
  const resolution = resolver.resolve({
    carp_version: '1.0',
    request_id: 'req-1',
    timestamp: new Date().toISOString(),
    operation: 'resolve',
    requester: { agent_id: AGENT_ID, session_id: sessionId },
    task: { goal: GOAL, risk_tier: 'medium' },
    atlas_ids: ['com.example.ops'],
  });
  const { type, approval_id: approvalId } = resolution.decision;
  console.log(`resolution ${resolution.resolution_id}: ${type}, approval ${approvalId}`);
  expect(type === 'requires_approval' && approvalId !== null, 'a resolution that needs an approval');

  // Every check and report names the session and its agent; the binding
  // fills in the request ids and timestamps.
  const common = { sessionId, agentId: AGENT_ID };
  /** Asks whether actionId may run now with parameters, and prints the answer. */
  const check = (actionId, parameters) => {
    const result = resolver.checkAction({
      ...common, resolutionId: resolution.resolution_id, actionId, parameters,
    });
    const shown = `check ${actionId} ${JSON.stringify(parameters)}`;
    if (result.approved) console.log(`${shown}: approved, execution ${result.executionId}`);
    else console.log(`${shown}: denied (${result.reason}) policy ${result.policyId ?? '-'}`);
    return result;
  };
  /** Runs an approved check's action and reports how it went; returns whether it succeeded. */
  const run = async (approved, action) => {
    const started = Date.now();
    try {
      const result = await action();
      resolver.reportAction({ ...common, executionId: approved.executionId, status: 'executed',
        durationMs: Date.now() - started, result }); // only the result's hash is recorded
      console.log(`report ${approved.executionId}: executed`);
      return true;
    } catch (error) {
      if (error instanceof CraError) throw error; // the report itself failed
      resolver.reportAction({ ...common, executionId: approved.executionId, status: 'failed',
        durationMs: Date.now() - started, errorCode: error.code ?? 'error', errorMessage: error.message });
      console.log(`report ${approved.executionId}: failed (${error.code})`);
      return false;
    }
  };

  // 3. The refund. Bad parameters fail the action's schema before any
  //    policy is looked at; good ones wait for the approval. A denial is a
  //    result (approved false, with a reason), not an exception.
  const bad = check('billing.refund', { amount_cents: 0 });
  expect(!bad.approved && bad.reason.startsWith('Parameters do not match the schema') && bad.policyId === null,
    'a schema denial');
  const waiting = check('billing.refund', { amount_cents: 2500 });
  expect(!waiting.approved && waiting.reason === 'Approval required' && waiting.policyId === 'refund-approval',
    'an approval denial');

  // A person grants it (the host asked them; libcra records who and why).
  resolver.answerApproval(sessionId, approvalId, {
    granted: true, approver: 'billing-lead', reason: 'customer was charged twice',
  });
  console.log(`approval ${approvalId}: granted by billing-lead`);

  const refundCheck = check('billing.refund', { amount_cents: 2500 });
  expect(refundCheck.approved && refundCheck.executionId !== null, 'an approved refund');
  expect(await run(refundCheck, () => refund({ amount_cents: 2500 })), 'an executed refund');

  // 4. The export: 2 calls per 60 s. Approved checks are charged; the third
  //    in the window is denied (and charges nothing).
  const exports = [check('report.export', {}), check('report.export', {}), check('report.export', {})];
  expect(exports[0].approved && exports[1].approved, 'two approved exports');
  expect(!exports[2].approved && exports[2].reason === 'Rate limit exceeded' && exports[2].policyId === 'export-rate',
    'a rate limit denial');
  expect(await run(exports[0], exportReport), 'an executed export');
  expect(!(await run(exports[1], exportReport)), 'a failed export');

  // 5. End the session; its trace holds every check, approval and report.
  resolver.endSession(sessionId, 'work done');
  const jsonl = await resolver.getTrace(sessionId); // TRACE/1.0 JSON Lines text
  if (flags['trace-out'] !== undefined) {
    writeFileSync(flags['trace-out'], jsonl);
    console.log(`trace written to ${flags['trace-out']}`);
  }
  const report = verifyJsonl(jsonl); // libcra's verifier; a broken chain is a result
  console.log(`trace: ${report.events} events, chain ${report.valid ? 'valid' : `${report.failure}: ${report.message}`}`);
  expect(report.valid, 'a valid chain');
  expect(resolver.verifyChain(sessionId).headHash === report.headHash, 'the stored chain ending at the same head');

  const counts = {};
  for (const event of await resolver.getTraceEvents(sessionId)) {
    counts[event.event_type] = (counts[event.event_type] ?? 0) + 1;
  }
  const want = {
    'action.requested': 6, 'action.approved': 3, 'action.denied': 3,
    'approval.granted': 1, 'action.executed': 2, 'action.failed': 1,
  };
  for (const [eventType, n] of Object.entries(want)) {
    expect(counts[eventType] === n, `${n} ${eventType} events in the trace, got ${counts[eventType] ?? 0}`);
  }
} catch (error) {
  // Unexpected: a step did not behave; CraError: a call failed.
  console.error(error instanceof Unexpected ? `unexpected: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  resolver.close();
}
