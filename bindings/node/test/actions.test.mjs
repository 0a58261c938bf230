// Checking actions, approvals and outcome reports (CARP.md "Checking an
// action before running it"), with the atlas of libcra's
// tests/enforcement.rs: the whole loop in both trace modes, a rate limit
// of N approving exactly N checks, and the errors.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CRA_ERR_CONFLICT,
  CRA_ERR_INVALID_ARGUMENT,
  CRA_ERR_INVALID_REQUEST,
  CRA_ERR_NOT_FOUND,
  CRA_ERR_PERMISSION,
  CRA_ERR_SESSION_ENDED,
  CRA_ERR_SHUTDOWN,
  Resolver,
  verifyJsonl,
} from '../index.js';
import { UNKNOWN_SESSION, pythonVerify, request } from './helpers.mjs';

const AGENT = 'agent-7';
const UNKNOWN_ID = '01936f2a-7c00-7000-8000-000000000099';

function atlas(rateLimit) {
  return JSON.stringify({
    atlas_version: '1.0', atlas_id: 'com.example.ops', version: '1.0.0',
    name: 'Ops', description: 'Actions with limits, a schema and an approval',
    actions: [
      { action_id: 'billing.refund', name: 'Refund', description: 'Refund a payment',
        parameters_schema: { type: 'object', required: ['amount_cents'],
          properties: { amount_cents: { type: 'integer', minimum: 1 } },
          additionalProperties: false } },
      { action_id: 'report.export', name: 'Export', description: 'Export a report' },
      { action_id: 'invoice.create', name: 'Invoice', description: 'Create an invoice' },
      { action_id: 'account.delete', name: 'Delete', description: 'Delete an account' },
      { action_id: 'ticket.read', name: 'Read', description: 'Read a ticket' },
    ],
    policies: [
      { policy_id: 'allow-all', type: 'allow', actions: ['*'] },
      { policy_id: 'no-delete', type: 'deny', actions: ['account.delete'],
        parameters: { reason: 'Accounts are closed by people' } },
      { policy_id: 'refund-approval', type: 'require_approval', actions: ['billing.refund'] },
      { policy_id: 'export-rate', type: 'rate_limit', actions: ['report.export'],
        parameters: { max_calls: rateLimit, window_seconds: 60 } },
      { policy_id: 'invoice-budget', type: 'budget', actions: ['invoice.create'],
        parameters: { max_calls: 2 } },
    ],
  });
}

/** A resolver with the atlas, a session and a resolution; close it when done. */
function rig(config, rateLimit = 3) {
  const resolver = new Resolver(config);
  resolver.loadAtlas(atlas(rateLimit));
  const sessionId = resolver.beginSession(AGENT, 'Run the ops');
  const resolve = () =>
    resolver.resolve(request(sessionId, { agentId: AGENT, goal: 'Run the ops', riskTier: 'low' }));
  const check = (resolution, actionId, parameters) =>
    resolver.checkAction({ sessionId, agentId: AGENT, resolutionId: resolution.resolution_id, actionId, parameters });
  const report = (options) => resolver.reportAction({ sessionId, agentId: AGENT, durationMs: 0, ...options });
  return { resolver, sessionId, resolution: resolve(), resolve, check, report };
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Asserts that fn throws a CraError with this code. */
function throwsCode(fn, code) {
  assert.throws(fn, (error) => {
    assert.equal(error.name, 'CraError');
    assert.equal(error.code, code, error.message);
    return true;
  });
}

for (const traceMode of ['immediate', 'deferred']) {
  test(`check, approve, report: the whole loop (${traceMode})`, async () => {
    const { resolver, sessionId, resolution, resolve, check, report } = rig({ traceMode });
    try {
      assert.equal(resolution.decision.type, 'requires_approval');
      const approvalId = resolution.decision.approval_id;
      assert.match(approvalId, /^[0-9a-f-]{36}$/);

      const bad = check(resolution, 'billing.refund', { amount_cents: 0 });
      assert.equal(bad.carpVersion, '1.0');
      assert.match(bad.requestId, /^req-[0-9a-f]{32}$/);
      assert.equal(bad.decision, 'denied');
      assert.equal(bad.approved, false);
      assert.equal(bad.actionId, 'billing.refund');
      assert.equal(bad.executionId, null);
      assert.equal(bad.policyId, null);
      assert.ok(bad.reason.startsWith('Parameters do not match the schema: /amount_cents: '), bad.reason);
      assert.equal(bad.parametersHash, sha256('{"amount_cents":0}'));

      const waiting = check(resolution, 'billing.refund', { amount_cents: 5 });
      assert.deepEqual([waiting.approved, waiting.reason, waiting.policyId], [false, 'Approval required', 'refund-approval']);

      throwsCode(() => resolver.answerApproval(sessionId, approvalId, { granted: true, approver: '' }), CRA_ERR_INVALID_ARGUMENT);
      assert.throws(() => resolver.answerApproval(sessionId, approvalId, { granted: 'yes', approver: 'ann' }), TypeError);
      resolver.answerApproval(sessionId, approvalId, { granted: true, approver: 'ann', reason: 'checked the invoice' });
      throwsCode(() => resolver.answerApproval(sessionId, approvalId, { granted: false, approver: 'bob' }), CRA_ERR_CONFLICT);
      throwsCode(() => resolver.answerApproval(sessionId, UNKNOWN_ID, { granted: true, approver: 'ann' }), CRA_ERR_NOT_FOUND);

      const refund = check(resolution, 'billing.refund', { amount_cents: 5 });
      assert.equal(refund.decision, 'approved');
      assert.equal(refund.approved, true);
      assert.match(refund.executionId, /^[0-9a-f-]{36}$/);
      assert.deepEqual([refund.reason, refund.policyId], [null, null]);
      // Parameters omitted are {}.
      const read = check(resolution, 'ticket.read');
      assert.equal(read.approved, true);
      assert.equal(read.parametersHash, sha256('{}'));
      const exported = check(resolution, 'report.export', { format: 'csv' });
      assert.equal(exported.approved, true);

      report({ executionId: refund.executionId, status: 'executed', durationMs: 12, result: { rows: 3 } });
      throwsCode(() => report({ executionId: refund.executionId, status: 'executed' }), CRA_ERR_CONFLICT);
      throwsCode(() => report({ executionId: exported.executionId, status: 'failed' }), CRA_ERR_INVALID_REQUEST);
      report({ executionId: exported.executionId, status: 'failed', durationMs: 3, errorCode: 'E42', errorMessage: 'disk full' });
      throwsCode(
        () => report({ executionId: exported.executionId, status: 'failed', errorCode: 'E42', errorMessage: 'disk full' }),
        CRA_ERR_CONFLICT,
      );
      throwsCode(() => report({ executionId: UNKNOWN_ID, status: 'executed' }), CRA_ERR_NOT_FOUND);
      assert.throws(() => report({ executionId: read.executionId, status: 'done' }), TypeError);
      assert.throws(() => report({ executionId: read.executionId, status: 'executed', durationMs: -1 }), RangeError);
      assert.throws(() => report({ executionId: read.executionId, status: 'executed', durationMs: 1.5 }), RangeError);

      // A rejected approval denies the resolution's refunds.
      const rejected = resolve();
      resolver.answerApproval(sessionId, rejected.decision.approval_id, { granted: false, approver: 'bob' });
      const denied = check(rejected, 'billing.refund', { amount_cents: 5 });
      assert.deepEqual([denied.approved, denied.reason, denied.policyId], [false, 'Approval rejected', 'refund-approval']);

      resolver.endSession(sessionId, 'done');
      const jsonl = await resolver.getTrace(sessionId);
      assert.equal(verifyJsonl(jsonl).valid, true);
      assert.equal(resolver.verifyChain(sessionId).valid, true);
      const verified = await pythonVerify(jsonl);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);

      const events = await resolver.getTraceEvents(sessionId);
      const count = {};
      for (const e of events) count[e.event_type] = (count[e.event_type] ?? 0) + 1;
      for (const [type, n] of Object.entries({
        'action.requested': 6, 'action.approved': 3, 'action.denied': 3,
        'approval.granted': 1, 'approval.rejected': 1, 'action.executed': 1, 'action.failed': 1,
      })) {
        assert.equal(count[type], n, `${type}: ${JSON.stringify(count)}`);
      }
      const executed = events.find((e) => e.event_type === 'action.executed');
      assert.equal(executed.payload.duration_ms, 12);
      assert.match(executed.payload.result_hash, /^[0-9a-f]{64}$/);
      assert.equal(events.find((e) => e.event_type === 'action.failed').payload.error_code, 'E42');
    } finally {
      resolver.close();
    }
  });
}

test('a rate limit of N approves exactly N checks; a budget per session', () => {
  const limit = 5;
  const { resolver, resolution, check } = rig({ traceMode: 'deferred' }, limit);
  try {
    const results = Array.from({ length: 4 * limit }, () => check(resolution, 'report.export'));
    assert.equal(results.filter((r) => r.approved).length, limit);
    assert.deepEqual(results.slice(0, limit).map((r) => r.approved), Array(limit).fill(true));
    for (const r of results.slice(limit)) {
      assert.deepEqual([r.reason, r.policyId], ['Rate limit exceeded', 'export-rate']);
    }
    const invoices = [1, 2, 3].map(() => check(resolution, 'invoice.create'));
    assert.deepEqual(invoices.map((r) => r.approved), [true, true, false]);
    assert.deepEqual([invoices[2].reason, invoices[2].policyId], ['Budget exhausted', 'invoice-budget']);
  } finally {
    resolver.close();
  }
});

describe('errors of checks and reports', () => {
  test('broken requests throw and are not denials', () => {
    const { resolver, sessionId, resolution, check } = rig();
    const base = { sessionId, agentId: AGENT, resolutionId: resolution.resolution_id, actionId: 'ticket.read' };
    try {
      assert.throws(() => check(resolution, 'ticket.read', [1]), TypeError);
      assert.throws(() => check(resolution, 'ticket.read', 'x'), TypeError);
      assert.throws(() => resolver.checkAction({ ...base, actionId: 7 }), TypeError);
      throwsCode(() => resolver.checkAction({ ...base, agentId: 'agent-8' }), CRA_ERR_PERMISSION);
      throwsCode(() => resolver.checkAction({ ...base, sessionId: UNKNOWN_SESSION }), CRA_ERR_NOT_FOUND);
      const unknown = resolver.checkAction({ ...base, resolutionId: UNKNOWN_ID });
      assert.deepEqual([unknown.approved, unknown.reason], [false, 'Unknown resolution']);
      resolver.endSession(sessionId, 'done');
      throwsCode(() => resolver.checkAction(base), CRA_ERR_SESSION_ENDED);
    } finally {
      resolver.close();
    }
    throwsCode(() => resolver.checkAction(base), CRA_ERR_SHUTDOWN);
    throwsCode(() => resolver.answerApproval(sessionId, UNKNOWN_ID, { granted: true, approver: 'ann' }), CRA_ERR_SHUTDOWN);
    throwsCode(
      () => resolver.reportAction({ sessionId, agentId: AGENT, executionId: UNKNOWN_ID, status: 'executed', durationMs: 1 }),
      CRA_ERR_SHUTDOWN,
    );
  });
});
