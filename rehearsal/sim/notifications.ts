import type { VirtualClock } from '../clock';
import { AwsError } from './aws-error';

export type ApprovalAnswer = 'approve' | 'reject' | 'timeout';

export interface PublishedMessage {
  readonly at: number;
  readonly subject: string;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** Virtual seconds an approver takes to answer in the rehearsal. */
export const APPROVER_DELAY_SECONDS = 600;
export const REHEARSAL_APPROVER = 'arn:aws:iam::123456789012:user/change-approver';

/**
 * The notification topic, and the approvers reading it: every message is kept, and a message that
 * carries a task token is answered as the scenario says (approved by default).
 */
export class SimulatedNotifications {
  readonly messages: PublishedMessage[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly answer: ApprovalAnswer,
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

  /** `sns:publish.waitForTaskToken`: publish, then answer as an approver would. */
  async publishAndWait(p: Record<string, unknown>, timeoutSeconds: number): Promise<unknown> {
    this.publish(p);
    if (this.answer === 'timeout') {
      this.clock.advance(timeoutSeconds);
      throw new AwsError('States.Timeout', 'The approval was not answered in time');
    }
    this.clock.advance(APPROVER_DELAY_SECONDS);
    this.answered();
    if (this.answer === 'reject') {
      const error = new Error(JSON.stringify({ decision: 'rejected', rejectedBy: REHEARSAL_APPROVER, reason: 'rehearsal: rejected on request' }));
      error.name = 'ChangeRejected';
      throw error;
    }
    return { decision: 'approved', approvedBy: REHEARSAL_APPROVER, comment: 'rehearsal: approved automatically' };
  }
}

/** The runbook's own state machine, as ListExecutions sees it. */
export class SimulatedStepFunctions {
  constructor(
    private readonly self: () => string,
    private readonly others: readonly string[],
  ) {}

  listExecutions(p: Record<string, unknown>): unknown {
    if (p.StatusFilter !== 'RUNNING') throw new AwsError('Sfn.InvalidArnException', 'only RUNNING is simulated');
    return { Executions: [this.self(), ...this.others].map((Name) => ({ Name, Status: 'RUNNING', ExecutionArn: `${String(p.StateMachineArn)}:${Name}` })) };
  }
}
