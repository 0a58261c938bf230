/**
 * Building the CARP/1.0 `check_action` and `report_action` requests from
 * the camelCase options of {@link Resolver#checkAction} and
 * {@link Resolver#reportAction}, and reading the check result back. Hosts
 * never write the envelope: the request id and timestamp are filled here.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { toCString } from './text.js';

/** "req-" and 32 random hex digits, as the Go binding makes them. */
export function newRequestId() {
  return `req-${randomBytes(16).toString('hex')}`;
}

/**
 * The requester and envelope shared by checks and reports.
 * @param {string} operation
 * @param {Record<string, unknown>} options
 */
function envelope(operation, options) {
  return {
    carp_version: '1.0',
    operation,
    request_id: newRequestId(),
    timestamp: new Date().toISOString(),
    requester: {
      agent_id: toCString(options.agentId, 'agentId'),
      session_id: toCString(options.sessionId, 'sessionId'),
    },
  };
}

/**
 * A plain JSON object argument: undefined and null give `absent`.
 * @param {unknown} value
 * @param {string} name
 * @param {object | null} absent
 */
function objectArg(value, name, absent) {
  if (value === undefined || value === null) return absent;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new TypeError(
      `${name} must be an object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value;
}

/**
 * An optional text member: undefined and null give null.
 * @param {unknown} value
 * @param {string} name
 */
function optionalText(value, name) {
  return value === undefined || value === null ? null : toCString(value, name);
}

/**
 * The JSON text of a `check_action` request.
 * @param {import('../index.js').CheckActionOptions} options
 * @returns {string}
 */
export function checkRequestJson(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('checkAction needs an options object');
  }
  return JSON.stringify({
    ...envelope('check_action', options),
    resolution_id: toCString(options.resolutionId, 'resolutionId'),
    action_id: toCString(options.actionId, 'actionId'),
    parameters: objectArg(options.parameters, 'parameters', {}),
  });
}

/**
 * The check result JSON of libcra, camelCased.
 * @param {string} text
 * @returns {import('../index.js').CheckResult}
 */
export function parseCheckResult(text) {
  const raw = JSON.parse(text);
  return {
    carpVersion: raw.carp_version,
    requestId: raw.request_id,
    decision: raw.decision,
    approved: raw.decision === 'approved',
    actionId: raw.action_id,
    executionId: raw.execution_id ?? null,
    reason: raw.reason ?? null,
    policyId: raw.policy_id ?? null,
    parametersHash: raw.parameters_hash,
  };
}

/**
 * The JSON text of a `report_action` request.
 * @param {import('../index.js').ReportActionOptions} options
 * @returns {string}
 */
export function reportRequestJson(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('reportAction needs an options object');
  }
  const { status, durationMs } = options;
  if (status !== 'executed' && status !== 'failed') {
    throw new TypeError(`status must be 'executed' or 'failed', got ${String(status)}`);
  }
  if (typeof durationMs !== 'number' || !Number.isSafeInteger(durationMs) || durationMs < 0) {
    throw new RangeError(`durationMs must be a non-negative integer, got ${durationMs}`);
  }
  return JSON.stringify({
    ...envelope('report_action', options),
    execution_id: toCString(options.executionId, 'executionId'),
    status,
    duration_ms: durationMs,
    error_code: optionalText(options.errorCode, 'errorCode'),
    error_message: optionalText(options.errorMessage, 'errorMessage'),
    result: objectArg(options.result, 'result', null),
  });
}
