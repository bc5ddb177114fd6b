import type { VirtualClock } from '../clock';
import { AwsError } from './aws-error';
import type { SimulatedStepFunctions } from './stepfunctions';

export interface PublishedMessage {
  readonly at: number;
  readonly subject: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** Whoever reads an approval request and answers it (or not), given its task token. */
export type Approvers = (taskToken: string) => Promise<void>;

/**
 * The notification topic: every message is kept. A message that carries a task token
 * (`sns:publish.waitForTaskToken`) opens that task in the simulated Step Functions; the approvers
 * answer it as people would (through the runbook's endpoint, or not), and the task ends with what
 * Step Functions received for the token, or times out.
 */
/** What publishAndWait answers for a token nobody answered when the state has no timeout. */
export const NEVER_ANSWERED = Symbol('never answered');

export class SimulatedNotifications {
  readonly messages: PublishedMessage[] = [];
  /** Set by the rehearsal: the people who answer approval requests. */
  approvers: Approvers = async () => undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly sfn: SimulatedStepFunctions,
    /** Called once an approver has answered (the world may change while the approver thinks). */
    private readonly answered: () => void = () => undefined,
  ) {}

  publish(p: Record<string, unknown>): unknown {
    this.messages.push({
      at: this.clock.now,
      subject: String(p.Subject ?? ''),
      message: String(p.Message ?? ''),
      attributes: (p.MessageAttributes ?? {}) as Record<string, unknown>,
    });
    return { MessageId: `simulated-${this.messages.length}` };
  }

  /** `sns:publish.waitForTaskToken` in state `state`: publish, then wait for the token's answer, bounded by the state's timeout. */
  async publishAndWait(state: string, p: Record<string, unknown>, timeoutSeconds: number | undefined): Promise<unknown> {
    this.publish(p);
    const token = (p.MessageAttributes as { taskToken?: { StringValue?: unknown } } | undefined)?.taskToken?.StringValue;
    if (typeof token !== 'string' || token === '') throw new AwsError('States.Runtime', 'the approval request carries no taskToken message attribute');
    const askedAt = this.clock.now;
    this.sfn.openTask(state, p, 'sns', 'publish.waitForTaskToken', p, token, timeoutSeconds ?? null);
    await this.approvers(token);
    const answer = this.sfn.answerFor(token);
    // No timeout of its own: the token stays open as long as the execution runs.
    if (!answer && timeoutSeconds === undefined) return NEVER_ANSWERED;
    if (!answer || (timeoutSeconds !== undefined && this.clock.now - askedAt > timeoutSeconds * 1000)) {
      timeoutSeconds ??= 0;
      this.clock.advance(Math.max(0, timeoutSeconds - (this.clock.now - askedAt) / 1000));
      this.sfn.timeOut(token);
      throw new AwsError('States.Timeout', 'The approval was not answered in time');
    }
    this.answered();
    if (answer.kind === 'success') return JSON.parse(answer.output) as unknown;
    // As Step Functions reports a SendTaskFailure: the error's name and its cause.
    const error = new Error(answer.cause);
    error.name = answer.error;
    throw error;
  }
}
