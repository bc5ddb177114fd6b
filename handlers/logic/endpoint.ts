import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { InvalidEndpointRequest, NotWaitingForApproval, ApproverNotAllowed, SelfApprovalRefused } from '../lib/errors';
import { asRecord, describe, optionalString, rejectUnknownKeys, requireString } from '../lib/validate';
import { type Attestation, answerMessage, startMessage } from './attestation';
import { type ApprovalPolicy, judgeApprover } from './identity';
import { pendingApproval, whereExecutionIs } from './pending-approval';
import { CHANGE_ID, IMAGE_REF, REASON } from './plan-change';

/** What the endpoint calls in AWS, as its own role. */
export interface RunbookApi {
  startExecution(name: string, input: string): Promise<{ executionArn: string }>;
  /** The execution's whole history, oldest first, with its data (the approval request's task token). */
  history(executionArn: string): Promise<HistoryEvent[]>;
  sendTaskSuccess(taskToken: string, output: string): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

/** KMS GenerateMac with the runbook's key, base64. */
export interface MacGenerator {
  generate(message: Uint8Array): Promise<string>;
}

export interface EndpointSettings {
  /** The runbook's state machine: the only one this endpoint starts or answers. */
  readonly stateMachineArn: string;
  readonly policy: ApprovalPolicy;
}

export interface EndpointDeps {
  readonly api: RunbookApi;
  readonly mac: MacGenerator;
  readonly settings: EndpointSettings;
  readonly now: () => Date;
}

/** One request to the endpoint, its caller as the signed request's context names it. */
export interface EndpointRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly callerArn: string;
}

export type EndpointAnswer = Record<string, unknown>;

/** Execution names take [A-Za-z0-9-_] (for CloudWatch Logs) and at most 80 characters: the change id and the time. */
export function executionName(changeId: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${changeId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80 - stamp.length - 1)}-${stamp}`;
}

const bad = (message: string) => new InvalidEndpointRequest(message);
/** A comment or a reason: kept in the history and the report; the SendTaskFailure cause holds 32,768 characters. */
const MAX_NOTE = 2000;

/** POST /start: starts the execution with the caller as its verified requester. */
async function start(request: EndpointRequest, deps: EndpointDeps): Promise<EndpointAnswer> {
  const o = asRecord(request.body, 'body', InvalidEndpointRequest);
  if (o.requestedBy !== undefined) throw bad('requestedBy: not taken: the endpoint records who signed the request');
  rejectUnknownKeys(o, ['changeId', 'reason', 'targetImage', 'dryRun'], '', InvalidEndpointRequest);
  const changeId = requireString(o, 'changeId', { pattern: CHANGE_ID, expected: 'a ticket reference such as CHG-1234', error: InvalidEndpointRequest });
  if (changeId.length > 64) throw bad(`changeId: expected at most 64 characters, got ${changeId.length}`);
  const reason = optionalString(o, 'reason', { pattern: REASON, expected: 'one line of at most 500 characters', error: InvalidEndpointRequest });
  const targetImage = optionalString(o, 'targetImage', { pattern: IMAGE_REF, expected: 'an image reference', error: InvalidEndpointRequest });
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') throw bad(`dryRun: expected true or false, got ${describe(o.dryRun)}`);

  const now = deps.now();
  const name = executionName(changeId, now);
  const issuedAt = now.toISOString();
  const attestation: Attestation = { issuedAt, mac: await deps.mac.generate(startMessage({ executionName: name, changeId, requestedBy: request.callerArn, issuedAt })) };
  const input = {
    changeId,
    requestedBy: request.callerArn,
    ...(reason !== undefined ? { reason } : {}),
    ...(targetImage !== undefined ? { targetImage } : {}),
    ...(o.dryRun === true ? { dryRun: true } : {}),
    attestation,
  };
  const { executionArn } = await deps.api.startExecution(name, JSON.stringify(input));
  return { executionArn, name, requestedBy: request.callerArn, verified: true };
}

/** `arn:...:stateMachine:<name>` → `arn:...:execution:<name>:`: the prefix of this runbook's executions. */
function executionPrefix(stateMachineArn: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
}

function startedInput(history: readonly HistoryEvent[]): Record<string, unknown> {
  const started = history.find((e) => e.type === 'ExecutionStarted');
  try {
    return asRecord(JSON.parse(started?.executionStartedEventDetails?.input ?? 'null'), 'input');
  } catch {
    return {};
  }
}

/**
 * SendTaskSuccess/Failure on a task that was answered or timed out meanwhile
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html: TaskDoesNotExist, TaskTimedOut, InvalidToken).
 */
const ANSWERED = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/** POST /approve, POST /reject: answers the approval as the caller, if the policy lets them. */
async function answer(decision: 'approved' | 'rejected', request: EndpointRequest, deps: EndpointDeps): Promise<EndpointAnswer> {
  const o = asRecord(request.body, 'body', InvalidEndpointRequest);
  const noteField = decision === 'approved' ? 'comment' : 'reason';
  rejectUnknownKeys(o, ['executionArn', noteField], '', InvalidEndpointRequest);
  const prefix = executionPrefix(deps.settings.stateMachineArn);
  const executionArn = requireString(o, 'executionArn', { expected: `an execution of ${deps.settings.stateMachineArn}`, error: InvalidEndpointRequest });
  if (!executionArn.startsWith(prefix) || !/^[\w-]{1,80}$/.test(executionArn.slice(prefix.length))) {
    throw bad(`executionArn: expected an execution of ${deps.settings.stateMachineArn} (${prefix}<name>), got ${JSON.stringify(executionArn)}`);
  }
  const note = decision === 'approved' ? optionalString(o, noteField, { error: InvalidEndpointRequest }) : requireString(o, noteField, { expected: 'why the change is rejected', error: InvalidEndpointRequest });
  if (note !== undefined && note.length > MAX_NOTE) throw bad(`${noteField}: expected at most ${MAX_NOTE} characters, got ${note.length}`);

  const history = await deps.api.history(executionArn);
  const pending = pendingApproval(history);
  if (!pending) throw new NotWaitingForApproval(`${executionArn} is not waiting for approval: ${whereExecutionIs(history)}`);
  const input = startedInput(history);
  const requester = typeof input.requestedBy === 'string' ? input.requestedBy : '';
  const judgement = judgeApprover(deps.settings.policy, requester, request.callerArn, decision);
  if (!judgement.allowed) {
    const Refusal = judgement.error === 'SelfApprovalRefused' ? SelfApprovalRefused : ApproverNotAllowed;
    throw new Refusal(`${judgement.reason}. The execution is still waiting for approval.`);
  }

  const issuedAt = deps.now().toISOString();
  const by = request.callerArn;
  const attestation: Attestation = { issuedAt, mac: await deps.mac.generate(answerMessage({ executionArn, decision, by, note: note ?? '', issuedAt })) };
  try {
    if (decision === 'approved') {
      await deps.api.sendTaskSuccess(pending.taskToken, JSON.stringify({ decision, approvedBy: by, ...(note !== undefined ? { comment: note } : {}), attestation }));
    } else {
      await deps.api.sendTaskFailure(pending.taskToken, 'ChangeRejected', JSON.stringify({ decision, rejectedBy: by, reason: note, attestation }));
    }
  } catch (err) {
    if (err instanceof Error && ANSWERED.has(err.name)) throw new NotWaitingForApproval(`${executionArn} is no longer waiting for approval (${err.name}): it was answered or timed out meanwhile`);
    throw err;
  }
  // The execution reached its approval, so its start attestation, if it had one, verified.
  return { execution: executionArn, decision, by, note: note ?? null, requester: { id: requester, verified: input.attestation !== undefined }, waitingSince: pending.scheduledAt };
}

const ROUTES: Readonly<Record<string, (request: EndpointRequest, deps: EndpointDeps) => Promise<EndpointAnswer>>> = {
  'POST /start': start,
  'POST /approve': (request, deps) => answer('approved', request, deps),
  'POST /reject': (request, deps) => answer('rejected', request, deps),
};

/**
 * The runbook's endpoint: start a change, approve or reject one, as the caller IAM authenticated.
 * Who the caller is comes from the signed request's context, never from the body.
 */
export async function handleEndpointRequest(request: EndpointRequest, deps: EndpointDeps): Promise<EndpointAnswer> {
  const route = ROUTES[`${request.method.toUpperCase()} ${request.path.replace(/\/+$/, '')}`];
  if (!route) throw bad(`${request.method} ${request.path}: expected POST /start, POST /approve or POST /reject`);
  return route(request, deps);
}
