// Compiled with `tsc --noEmit` by `npm test`: proves index.d.ts describes
// the API a TypeScript host uses. Never run.
import {
  Resolver,
  CraError,
  CRA_ERR_BACKPRESSURE,
  CRA_ERR_TIMEOUT,
  Status,
  statusName,
  verifyJsonl,
  verifyJsonlHead,
  ChainFailure,
  abiVersion,
  abiMinor,
  version,
  defaultConfig,
  loadLibrary,
  setMaxConcurrentWaits,
  getMaxConcurrentWaits,
  DEFAULT_LIBRARY_PATH,
  PREBUILT_LIBRARY_PATH,
  DEFAULT_TIMEOUT_MS,
  TraceMode,
  type CarpRequest,
  type Resolution,
  type TraceEvent,
  type VerifyReport,
  type Stats,
  type StoreStats,
  type Head,
  type ResolverConfig,
  type StatusName,
  type CheckResult,
  type CheckActionOptions,
  type ReportActionOptions,
  type SessionOptions,
} from '@cra/libcra';

const config: ResolverConfig = { traceMode: 'deferred', bufferCapacity: 1024, backpressure: 'block' };
const numeric: ResolverConfig = { traceMode: TraceMode.deferred, shutdownTimeoutMs: 1000 };
const lib: { readonly path: string } = loadLibrary({ path: DEFAULT_LIBRARY_PATH });
const bundled: string = PREBUILT_LIBRARY_PATH;
const abi: number = abiVersion();
const minor: number = abiMinor();
const perSession: SessionOptions = { traceMode: 'deferred' };
void [minor, perSession];
const ver: string = version();
const defaults = defaultConfig();
const mode: 'immediate' | 'deferred' = defaults.traceMode;
setMaxConcurrentWaits(getMaxConcurrentWaits() + 1);

async function main(): Promise<void> {
  const resolver = new Resolver(config);
  try {
    resolver.loadAtlasFile('test/fixtures/billing.atlas.json');
    resolver.loadAtlasFile(new URL('file:///tmp/atlas.json'));
    resolver.loadAtlas(new Uint8Array([123, 125]));
    const sessionId: string = resolver.beginSession('agent-7', 'Refund the duplicate charge');
    const live: string = resolver.beginSession('agent-7', 'Watched live', { traceMode: 'immediate' });
    const swarm: string = resolver.beginSession('agent-8', 'Swarm', { traceMode: TraceMode.deferred });
    resolver.beginSession('agent-9', 'Defaults', {});
    resolver.beginSession('agent-9', 'Defaults', null);
    void [live, swarm];
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
    const text: string = resolver.resolveRaw(JSON.stringify(request));
    const ready: boolean = resolver.isTraceReady(sessionId);
    await resolver.awaitTraceReady(sessionId, { timeoutMs: DEFAULT_TIMEOUT_MS });
    await resolver.flushTraces({ timeoutMs: 1000 });
    await resolver.flushTraces();
    const events: TraceEvent[] = await resolver.getTraceEvents(sessionId, { partial: true });
    const jsonl: string = await resolver.getTrace(sessionId, { timeoutMs: 100 });
    const deprecated: string = await resolver.getTraceJsonl(sessionId);
    const report: VerifyReport = resolver.verifyChain(sessionId);
    const again: VerifyReport = verifyJsonl(jsonl);
    const failure: string | null = again.failure;
    const stats: Stats = resolver.stats();
    await resolver.awaitDurable(sessionId, { timeoutMs: 1000 });
    await resolver.awaitDurable();
    await resolver.awaitDurable({ timeoutMs: 1000 });
    const head: Head = resolver.sessionHead(sessionId);
    const headEvents: number = head.events;
    const cut: VerifyReport = verifyJsonlHead(jsonl, head);
    const big: VerifyReport = verifyJsonlHead(Buffer.from(jsonl), { events: 3n, headHash: head.headHash });
    const truncated: boolean = cut.failure === 'truncated' || big.failure === 'head_mismatch';
    const code: 6 = ChainFailure.truncated;
    const store: StoreStats = resolver.storeStats();
    const durable: number = store.eventsDurable + store.eventsWaiting;
    void [headEvents, truncated, code, durable];
    resolver.endSession(sessionId, 'done');
    const closed: boolean = resolver.closed;
    void [decision, text, ready, events, deprecated, report, failure, stats, closed];
  } catch (error) {
    if (error instanceof CraError) {
      const code: number = error.code;
      const name: string = error.status;
      if (code === CRA_ERR_BACKPRESSURE || code === CRA_ERR_TIMEOUT || code === Status.CRA_ERR_IO) {
        void name;
      }
    }
    throw error;
  } finally {
    resolver.close();
  }
}

// A durable store, and resuming a session after a restart.
function durable(sessionId: string): void {
  const resolver = new Resolver({ storeUrl: 'sqlite:/tmp/trace.db?sync=full', traceMode: 'deferred' });
  resolver.resume(sessionId, 'process restarted');
  resolver.close();
}

// Checking an action, answering its approval, reporting its outcome.
function enforce(resolver: Resolver, sessionId: string, resolution: Resolution): string | null {
  const check: CheckActionOptions = {
    sessionId,
    agentId: 'agent-7',
    resolutionId: resolution.resolution_id,
    actionId: 'billing.payment.refund',
    parameters: { amount_cents: 500 },
  };
  const approvalId = resolution.decision.approval_id;
  if (approvalId !== null) {
    resolver.answerApproval(sessionId, approvalId, { granted: true, approver: 'ann' });
    resolver.answerApproval(sessionId, approvalId, { granted: false, approver: 'bob', reason: 'no' });
  }
  const result: CheckResult = resolver.checkAction(check);
  const decision: 'approved' | 'denied' = result.decision;
  if (!result.approved || result.executionId === null) return result.reason;
  const report: ReportActionOptions = {
    sessionId,
    agentId: 'agent-7',
    executionId: result.executionId,
    status: 'failed',
    durationMs: 12,
    errorCode: 'E42',
    errorMessage: 'disk full',
  };
  resolver.reportAction(report);
  resolver.reportAction({ ...report, status: 'executed', errorCode: null, errorMessage: null, result: { rows: 3 } });
  void decision;
  return null;
}

// Disposable: `using` closes the resolver when the block ends.
function disposable(): number {
  using resolver = new Resolver();
  const dispose: () => void = resolver[Symbol.dispose];
  void dispose;
  return resolver.stats().sessionsActive;
}

const known: StatusName = statusName(9);
const err = new CraError(13, 'closed');
const isError: Error = err;
void [config, numeric, lib, bundled, disposable, enforce, durable, abi, ver, mode, known, isError, main];
