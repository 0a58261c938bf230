// Shared by the tests: fixtures, requests and the independent verifier.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The package folder (bindings/node). */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Path of a file in test/fixtures. */
export function fixture(name) {
  return fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
}

/** A CARP/1.0 resolve request with a current RFC 3339 timestamp. */
export function request(sessionId, { agentId = 'agent-7', requestId, goal = 'Refund the duplicate charge', riskTier = 'high', ...rest } = {}) {
  return {
    carp_version: '1.0',
    request_id: requestId ?? `req-${Math.random().toString(16).slice(2)}`,
    timestamp: new Date().toISOString(),
    operation: 'resolve',
    requester: { agent_id: agentId, session_id: sessionId },
    task: { goal, risk_tier: riskTier },
    ...rest,
  };
}

/** A well-formed session id that no resolver has issued. */
export const UNKNOWN_SESSION = '01936f2a-7c00-7000-8000-000000000001';

/** The repository's own verifier, written apart from libcra. */
export const CRA_VERIFY = join(PACKAGE_DIR, '../../tools/cra-verify');

/** The shared specification's verifier, when it sits beside the repository. */
export const TRACE_VERIFY = join(PACKAGE_DIR, '../../../shared/tools/trace_verify.py');

const run = promisify(execFile);

/** Runs `python3 args`: its exit code and output. */
async function python(args) {
  try {
    const { stdout, stderr } = await run('python3', args);
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

/**
 * Runs the Python verifiers written apart from libcra on JSONL text:
 * tools/cra-verify, and trace_verify.py (with `--multi` when asked) when the
 * shared specification is beside the repository. Both must give the same
 * exit code; the result is tools/cra-verify's.
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export async function pythonVerify(jsonl, { multi = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cra-node-'));
  const file = join(dir, 'trace.jsonl');
  try {
    writeFileSync(file, jsonl);
    const own = await python([CRA_VERIFY, file]);
    if (existsSync(TRACE_VERIFY)) {
      const shared = await python(multi ? [TRACE_VERIFY, '--multi', file] : [TRACE_VERIFY, file]);
      if (shared.code !== own.code) {
        throw new Error(`the verifiers disagree: ${own.stdout} / ${shared.stdout}`);
      }
    }
    return own;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
