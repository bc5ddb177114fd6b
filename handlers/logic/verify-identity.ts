import { ApproverNotAllowed, ApproverNotVerified, RequesterNotVerified, SelfApprovalRefused } from '../lib/errors';
import { type Attestation, answerMessage, attestationProblem, issuedWithin, startMessage } from './attestation';
import { type ApprovalPolicy, judgeApprover } from './identity';

/** KMS VerifyMac with the runbook's key: false when the MAC does not verify. */
export interface MacVerifier {
  verify(message: Uint8Array, mac: string): Promise<boolean>;
}

/** Who asked for the change, as the audit record keeps it. */
export interface RequesterRecord {
  /** The requester: a verified principal ARN, or what was typed at start. */
  readonly id: string;
  readonly verified: boolean;
  /** One line for the approvers' message and the report. */
  readonly label: string;
}

/**
 * The endpoint's attestation may precede its check by this much: it calls StartExecution right
 * after making it, and the check follows the input's validation (retried on Lambda's own errors
 * for up to about two minutes).
 */
const START_SKEW_BEFORE_SECONDS = 300;
/** Clocks of two AWS services: a second apart at most; a minute allowed. */
const CLOCK_SKEW_SECONDS = 60;

export interface RequesterInput {
  readonly requestedBy: string;
  readonly changeId: string;
  readonly executionName: string;
  /** When the requester is checked, seconds after the execution started (`$$.State.EnteredTime`). */
  readonly checkedAt: string;
  readonly attestation: Attestation | null;
}

/**
 * The requester as the audit record keeps it: verified when the runbook's endpoint started the
 * execution for the caller of a signed request, typed otherwise (the console, StartExecution).
 * An attestation that does not verify, or that was made for another moment, is refused: it can
 * only be forged or copied.
 */
export async function verifyRequester(input: RequesterInput, mac: MacVerifier): Promise<RequesterRecord> {
  const { requestedBy, attestation } = input;
  if (attestation === null) {
    return { id: requestedBy, verified: false, label: `${requestedBy} (typed when the execution was started: not verified)` };
  }
  if (!issuedWithin(attestation.issuedAt, input.checkedAt, START_SKEW_BEFORE_SECONDS, CLOCK_SKEW_SECONDS)) {
    throw new RequesterNotVerified(
      `attestation.issuedAt: ${attestation.issuedAt} is not within ${START_SKEW_BEFORE_SECONDS / 60} minutes before the execution started (checked at ${input.checkedAt}): the attestation was made for another execution; start through the runbook's endpoint, or leave attestation out`,
    );
  }
  const facts = { executionName: input.executionName, changeId: input.changeId, requestedBy, issuedAt: attestation.issuedAt };
  if (!(await mac.verify(startMessage(facts), attestation.mac))) {
    throw new RequesterNotVerified(
      `attestation: the runbook's endpoint did not attest that ${requestedBy} started execution ${input.executionName} for ${input.changeId}; start through the endpoint (npm run runbook -- start), or leave attestation out to be recorded as unverified`,
    );
  }
  return { id: requestedBy, verified: true, label: `${requestedBy} (verified: a signed request to the runbook's endpoint)` };
}

export interface AnswerInput {
  readonly decision: 'approved' | 'rejected';
  /** What the approval task received: SendTaskSuccess's output, or SendTaskFailure's cause (text). */
  readonly answer: unknown;
  /** Who asked for the change (the verified ARN, or what was typed). */
  readonly requester: string;
  readonly executionArn: string;
  /** When the answer is checked (`$$.State.EnteredTime`). */
  readonly checkedAt: string;
  /** The approval window: an attestation older than it cannot be for this approval. */
  readonly timeoutMinutes: number;
  readonly policy: ApprovalPolicy;
}

/** The answer as the audit record keeps it (the field names are the approval payload's). */
export interface AnswerRecord {
  readonly decision: 'approved' | 'rejected';
  readonly approvedBy?: string | null;
  readonly comment?: string | null;
  readonly rejectedBy?: string | null;
  readonly reason?: string | null;
  readonly verified: boolean;
  /** How the answer came: through the endpoint, or as a plain payload. */
  readonly how: string;
}

interface Claimed {
  readonly by: string | null;
  readonly note: string | null;
  readonly attestation: unknown;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function claimedIn(input: AnswerInput): Claimed {
  let answer = input.answer;
  if (input.decision === 'rejected' && typeof answer === 'string') {
    try {
      answer = JSON.parse(answer) as unknown;
    } catch {
      // A plain `send-task-failure --cause "release freeze"`: the cause is the reason.
      return { by: null, note: text(input.answer), attestation: undefined };
    }
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return { by: null, note: text(input.answer), attestation: undefined };
  const o = answer as Record<string, unknown>;
  return input.decision === 'approved'
    ? { by: text(o.approvedBy), note: text(o.comment), attestation: o.attestation }
    : { by: text(o.rejectedBy), note: text(o.reason), attestation: o.attestation };
}

function record(decision: AnswerInput['decision'], claimed: Claimed, verified: boolean, how: string): AnswerRecord {
  return decision === 'approved'
    ? { decision, approvedBy: claimed.by, comment: claimed.note, verified, how }
    : { decision, rejectedBy: claimed.by, reason: claimed.note, verified, how };
}

/** Why the answer's attestation does not hold, or undefined when it does. */
async function attestationFailure(input: AnswerInput, claimed: Claimed, mac: MacVerifier): Promise<string | undefined> {
  const shape = attestationProblem(claimed.attestation, 'attestation');
  if (shape) return shape;
  const attestation = claimed.attestation as Attestation;
  if (!claimed.by) return `attestation: the answer names no ${input.decision === 'approved' ? 'approvedBy' : 'rejectedBy'}`;
  const window = input.timeoutMinutes * 60 + START_SKEW_BEFORE_SECONDS;
  if (!issuedWithin(attestation.issuedAt, input.checkedAt, window, CLOCK_SKEW_SECONDS)) {
    return `attestation.issuedAt: ${attestation.issuedAt} is outside this approval's window (up to ${input.checkedAt}): it was made for another approval`;
  }
  const facts = { executionArn: input.executionArn, decision: input.decision, by: claimed.by, note: claimed.note ?? '', issuedAt: attestation.issuedAt };
  return (await mac.verify(answerMessage(facts), attestation.mac)) ? undefined : `attestation: the runbook's endpoint did not attest this ${input.decision === 'approved' ? 'approval' : 'rejection'} by ${claimed.by}`;
}

/**
 * Checks the answer to the approval before anything changes. An approval attested by the endpoint
 * is checked once more against the approvers and the requester (the endpoint checked them, but the
 * state machine decides). An approval without a valid attestation (the plain `aws stepfunctions
 * send-task-success` payload) is accepted, marked unverified, only when no approvers are
 * configured; otherwise it is refused. A rejection is always kept, verified or not: it changes
 * nothing.
 */
export async function verifyAnswer(input: AnswerInput, mac: MacVerifier): Promise<AnswerRecord> {
  const claimed = claimedIn(input);
  const failure = claimed.attestation === undefined ? 'no attestation' : await attestationFailure(input, claimed, mac);
  if (input.decision === 'rejected') {
    return record('rejected', claimed, failure === undefined, failure === undefined ? "a signed request to the runbook's endpoint" : `a plain SendTaskFailure: not verified (${failure})`);
  }
  if (failure !== undefined) {
    if (input.policy.approvers.length > 0) {
      throw new ApproverNotVerified(
        `${claimed.attestation === undefined ? 'The approval came as a plain SendTaskSuccess payload, without the attestation of the runbook\'s endpoint' : failure}; approval.approvers is set, so only an approval through the endpoint counts (npm run runbook -- approve)`,
      );
    }
  }
  const verified = failure === undefined;
  // Unverified, the claimed approver is all there is to compare with the requester.
  if (claimed.by) {
    const judgement = judgeApprover(verified ? input.policy : { ...input.policy, approvers: [] }, input.requester, claimed.by, 'approved');
    if (!judgement.allowed) {
      const Refusal = judgement.error === 'SelfApprovalRefused' ? SelfApprovalRefused : ApproverNotAllowed;
      throw new Refusal(judgement.reason);
    }
  }
  return record('approved', claimed, verified, verified ? "a signed request to the runbook's endpoint" : 'a plain SendTaskSuccess payload: not verified (no approvers are configured)');
}
