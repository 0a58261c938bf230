// A project outside the repository using the packed @cra/libcra: load an
// atlas, resolve a request, read the session's trace and verify it. Exits
// non-zero on any failure. Copied into a fresh project by run.sh.
import { Resolver, abiVersion, loadLibrary, verifyJsonl, version } from '@cra/libcra';

const AGENT = 'agent-7';
const GOAL = 'Refund the duplicate charge';

/** Throws with `message` unless `condition` holds. */
function check(condition, message) {
  if (!condition) throw new Error(message);
}

function requestFor(sessionId) {
  return {
    carp_version: '1.0',
    request_id: 'req-1',
    timestamp: new Date().toISOString(),
    operation: 'resolve',
    requester: { agent_id: AGENT, session_id: sessionId },
    task: { goal: GOAL, risk_tier: 'high' },
  };
}

async function main() {
  const resolver = new Resolver();
  try {
    // The point of this project: the library the package bundles is used,
    // with no LD_LIBRARY_PATH or CRA_LIBRARY_PATH to find one elsewhere.
    const { path } = loadLibrary();
    check(path.includes('/node_modules/@cra/libcra/prebuilds/'), `libcra was loaded from ${path}, not the package`);
    check(version().split('.')[0] === String(abiVersion()), `version ${version()} does not match ABI ${abiVersion()}`);

    resolver.loadAtlasFile(new URL('billing.atlas.json', import.meta.url));
    const sessionId = resolver.beginSession(AGENT, GOAL);
    const resolution = resolver.resolve(requestFor(sessionId));
    check(resolution.decision.type === 'partial', `decision ${resolution.decision.type}, expected partial`);
    resolver.endSession(sessionId, 'done');

    const trace = await resolver.getTrace(sessionId);
    const report = verifyJsonl(trace);
    check(report.valid, `the trace does not verify: ${report.message}`);
    check(report.events === (await resolver.getTraceEvents(sessionId)).length, 'event counts differ');
    console.log(
      `ok: libcra ${version()} from ${path}: decision ${resolution.decision.type}, ` +
        `${report.events} trace events verified, head ${report.headHash}`,
    );
  } finally {
    resolver.close();
  }
}

main().catch((error) => {
  console.error(`consumer failed: ${error.stack ?? error}`);
  process.exitCode = 1;
});
