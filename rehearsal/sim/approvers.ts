import { request } from 'node:http';
import { callEndpoint, type EndpointAnswer } from '../../cli/endpoint';
import type { VirtualClock } from '../clock';
import type { Authorizer, Principal } from './iam';
import { PEOPLE, type PersonName, type SimulatedPerson } from './people';
import type { SimulatedStepFunctions } from './stepfunctions';

/** Virtual seconds an approver takes to answer in the rehearsal. */
export const APPROVER_DELAY_SECONDS = 600;

/**
 * One answer someone tries to give the approval: through the runbook's endpoint signed with their
 * credentials (`endpoint`), without a signature (`unsigned`), signed with a secret that is not
 * theirs (`forged`), or as the plain `aws stepfunctions send-task-success|failure` payload with the
 * task token from the notification (`plain`).
 */
export interface ApprovalAttempt {
  readonly by: PersonName;
  readonly decision: 'approve' | 'reject';
  readonly via?: 'endpoint' | 'unsigned' | 'forged' | 'plain';
  /** The comment or reason (a rehearsal's own by default). */
  readonly note?: string;
}

/** How an attempt was answered: the HTTP status and body (the plain path: 200 `{}` or the API's error). */
export interface AttemptRecord extends Required<Omit<ApprovalAttempt, 'note'>> {
  readonly at: number;
  readonly status: number;
  readonly answer: Record<string, unknown>;
}

export const NOTES = { approve: 'rehearsal: approved through the endpoint', reject: 'rehearsal: rejected on request' } as const;

export interface ApproversContext {
  readonly url: string;
  readonly region: string;
  readonly executionArn: string;
  readonly clock: VirtualClock;
  readonly sfn: SimulatedStepFunctions;
  readonly authorizer: Authorizer;
  /** What a person's IAM policies allow them. */
  readonly principalOf: (person: SimulatedPerson) => Principal;
}

/** A POST without any signature, as curl would send it. */
function unsigned(url: string, path: string, body: string): Promise<EndpointAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The AWS CLI's send-task-success/failure as the person: IAM decides, then Step Functions takes the answer. */
async function plain(attempt: ApprovalAttempt, token: string, ctx: ApproversContext): Promise<EndpointAnswer> {
  const operation = attempt.decision === 'approve' ? 'SendTaskSuccess' : 'SendTaskFailure';
  const params =
    attempt.decision === 'approve'
      ? { taskToken: token, output: JSON.stringify({ decision: 'approved' }) }
      : { taskToken: token, error: 'ChangeRejected', cause: NOTES.reject };
  const decision = await ctx.authorizer.authorize(ctx.principalOf(PEOPLE[attempt.by]), { service: 'states', operation, params, via: 'sdk' });
  if (!decision.allowed) return { status: decision.error.statusCode, body: { __type: decision.error.code, message: decision.error.message } };
  try {
    return { status: 200, body: (attempt.decision === 'approve' ? ctx.sfn.sendTaskSuccess(params) : ctx.sfn.sendTaskFailure(params)) as Record<string, unknown> };
  } catch (err) {
    return { status: 400, body: { __type: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) } };
  }
}

/**
 * The approvers of a rehearsal, each answering in turn after thinking for a while, with the code the
 * operator's CLI signs and sends its requests with. An answer the endpoint refuses leaves the
 * execution waiting for the next one.
 */
export async function tryApprovals(attempts: readonly ApprovalAttempt[], token: string, ctx: ApproversContext): Promise<AttemptRecord[]> {
  const records: AttemptRecord[] = [];
  for (const attempt of attempts) {
    if (ctx.sfn.answerFor(token)) break;
    ctx.clock.advance(APPROVER_DELAY_SECONDS);
    const via = attempt.via ?? 'endpoint';
    const path = attempt.decision === 'approve' ? '/approve' : '/reject';
    const note = attempt.note ?? NOTES[attempt.decision];
    const body = attempt.decision === 'approve' ? { executionArn: ctx.executionArn, comment: note } : { executionArn: ctx.executionArn, reason: note };
    const person = PEOPLE[attempt.by];
    const credentials = { accessKeyId: person.accessKeyId, secretAccessKey: via === 'forged' ? `${person.secretAccessKey}-guessed` : person.secretAccessKey, sessionToken: person.sessionToken };
    const answer =
      via === 'plain'
        ? await plain(attempt, token, ctx)
        : via === 'unsigned'
          ? await unsigned(ctx.url, path, JSON.stringify(body))
          : await callEndpoint({ url: ctx.url, path, body, credentials, region: ctx.region, now: () => new Date(ctx.clock.now) });
    records.push({ by: attempt.by, decision: attempt.decision, via, at: ctx.clock.now, status: answer.status, answer: answer.body });
  }
  return records;
}
