import { type HistoryEvent, SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { APPROVAL_STATE } from '../workflows/fragments/approval';
import { callAws, type RetryPolicy } from './aws';
import { parseJson } from './events';

export interface PendingApproval {
  readonly taskToken: string;
  /** When the approvers were notified. */
  readonly scheduledAt: string;
}

/** Events after which a scheduled task is no longer waiting for its token. */
const TASK_ENDS = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed', 'TaskStateAborted', 'TaskStateExited']);

function tokenOf(parameters: string | undefined): string | undefined {
  const params = parseJson(parameters) as { MessageAttributes?: { taskToken?: { StringValue?: unknown } } } | undefined;
  const token = params?.MessageAttributes?.taskToken?.StringValue;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * The approval the execution waits for: the latest TaskScheduled of the approval state with a
 * `.waitForTaskToken` resource, not yet followed by its task's end or the execution's.
 */
export function pendingApproval(history: readonly HistoryEvent[]): PendingApproval | undefined {
  let task: string | undefined;
  let pending: PendingApproval | undefined;
  for (const event of history) {
    const type = event.type ?? '';
    if (type === 'TaskStateEntered') task = event.stateEnteredEventDetails?.name;
    if (type === 'TaskScheduled') {
      const details = event.taskScheduledEventDetails;
      const resource = `${details?.resourceType ?? ''}:${details?.resource ?? ''}`;
      const taskToken = task === APPROVAL_STATE && resource.endsWith('.waitForTaskToken') ? tokenOf(details?.parameters) : undefined;
      pending = taskToken ? { taskToken, scheduledAt: (event.timestamp ?? new Date(0)).toISOString() } : undefined;
    } else if (TASK_ENDS.has(type) || type.startsWith('Execution')) {
      if (type !== 'ExecutionStarted') pending = undefined;
    }
  }
  return pending;
}

export interface Decision {
  readonly decision: 'approved' | 'rejected';
  readonly by: string;
  /** The approver's comment, or the reason for rejecting (required then). */
  readonly note?: string;
}

/** Answers the approval: SendTaskSuccess with who approved, or SendTaskFailure `ChangeRejected`. */
export async function sendDecision(sfn: SFNClient, taskToken: string, decision: Decision, retry: RetryPolicy): Promise<void> {
  if (decision.decision === 'approved') {
    const output = JSON.stringify({ decision: 'approved', approvedBy: decision.by, ...(decision.note ? { comment: decision.note } : {}) });
    await callAws(() => sfn.send(new SendTaskSuccessCommand({ taskToken, output })), retry);
    return;
  }
  const cause = JSON.stringify({ decision: 'rejected', rejectedBy: decision.by, reason: decision.note });
  await callAws(() => sfn.send(new SendTaskFailureCommand({ taskToken, error: 'ChangeRejected', cause })), retry);
}
