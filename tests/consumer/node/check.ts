// The same API as main.mjs, for `tsc --noEmit` in a project outside the
// repository: proves the packed index.d.ts types a consumer's code (with
// `using`, the resolver's Symbol.dispose). Never run.
import {
  CraError,
  Resolver,
  verifyJsonl,
  version,
  type CarpRequest,
  type Resolution,
  type TraceEvent,
  type VerifyReport,
} from '@cra/libcra';

export async function resolveAndVerify(atlas: URL): Promise<VerifyReport> {
  using resolver = new Resolver({ traceMode: 'deferred' });
  resolver.loadAtlasFile(atlas);
  const sessionId: string = resolver.beginSession('agent-7', 'Refund the duplicate charge');
  const request: CarpRequest = {
    carp_version: '1.0',
    request_id: 'req-1',
    timestamp: new Date().toISOString(),
    operation: 'resolve',
    requester: { agent_id: 'agent-7', session_id: sessionId },
    task: { goal: 'Refund the duplicate charge', risk_tier: 'high' },
  };
  const resolution: Resolution = resolver.resolve(request);
  const decision: 'allow' | 'deny' | 'partial' | 'requires_approval' = resolution.decision.type;
  resolver.endSession(sessionId, decision);
  const trace: string = await resolver.getTrace(sessionId, { timeoutMs: 2000 });
  const events: TraceEvent[] = await resolver.getTraceEvents(sessionId, { partial: true });
  const report: VerifyReport = verifyJsonl(trace);
  if (report.events !== events.length) throw new CraError(14, `libcra ${version()}: counts differ`);
  return report;
}
