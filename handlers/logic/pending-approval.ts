import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** The state the endpoint and the CLI look for in the history to find the task token. */
export const APPROVAL_STATE = 'Wait for approval';

export interface PendingApproval {
  readonly taskToken: string;
  /** When the approvers were notified. */
  readonly scheduledAt: string;
}

/** Events after which a scheduled task is no longer waiting for its token. */
const TASK_ENDS = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed', 'TaskStateAborted', 'TaskStateExited']);

function tokenOf(parameters: string | undefined): string | undefined {
  let params: { MessageAttributes?: { taskToken?: { StringValue?: unknown } } } | undefined;
  try {
    params = JSON.parse(parameters ?? '') as typeof params;
  } catch {
    return undefined;
  }
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

const ENDS: Readonly<Record<string, string>> = { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionAborted: 'ABORTED', ExecutionTimedOut: 'TIMED_OUT' };

/** Where an execution that is not waiting for approval is, in words: "it ended FAILED", "it is running "X"". */
export function whereExecutionIs(history: readonly HistoryEvent[]): string {
  let state: string | undefined;
  for (const event of history) {
    const ended = ENDS[event.type ?? ''];
    if (ended) return `it ended ${ended}`;
    if ((event.type ?? '').endsWith('StateEntered')) state = event.stateEnteredEventDetails?.name;
  }
  return `it is running${state ? ` "${state}"` : ''}`;
}
