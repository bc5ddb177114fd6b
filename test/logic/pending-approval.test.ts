import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { pendingApproval, whereExecutionIs } from '../../handlers/logic/pending-approval';

const NOW = new Date('2026-11-24T15:03:01.250Z');
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAdYwZ2VuZXJhdGVkLXRva2Vu';

const entered = (name: string, type = 'TaskStateEntered'): HistoryEvent => ({ id: 0, type: type as never, timestamp: NOW, stateEnteredEventDetails: { name } });
const scheduled = (parameters: string, resource = 'publish.waitForTaskToken'): HistoryEvent => ({
  id: 0,
  type: 'TaskScheduled',
  timestamp: NOW,
  taskScheduledEventDetails: { resourceType: 'sns', resource, region: 'eu-west-1', parameters },
});
const withToken = (token: unknown) => JSON.stringify({ MessageAttributes: { taskToken: { DataType: 'String', StringValue: token } } });
const started: HistoryEvent = { id: 0, type: 'ExecutionStarted', timestamp: NOW, executionStartedEventDetails: { input: '{}' } };
const event = (type: string): HistoryEvent => ({ id: 0, type: type as never, timestamp: NOW });

describe('the approval an execution waits for', () => {
  it('is the task token the approval state published, while its task has started and runs', () => {
    const history = [started, entered('Wait for approval'), scheduled(withToken(TOKEN)), event('TaskStarted'), event('TaskSubmitted')];

    expect(pendingApproval(history)).toEqual({ taskToken: TOKEN, scheduledAt: NOW.toISOString() });
  });

  it.each(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed', 'TaskStateAborted', 'TaskStateExited', 'ExecutionFailed', 'ExecutionAborted'])(
    'is none once %s follows',
    (end) => {
      expect(pendingApproval([started, entered('Wait for approval'), scheduled(withToken(TOKEN)), event(end)])).toBeUndefined();
    },
  );

  it.each([
    ['another state waiting for a token', [entered('Restart the service'), scheduled(withToken(TOKEN))]],
    ['the approval state without .waitForTaskToken', [entered('Wait for approval'), scheduled(withToken(TOKEN), 'publish')]],
    ['an empty token', [entered('Wait for approval'), scheduled(withToken(''))]],
    ['a token that is no string', [entered('Wait for approval'), scheduled(withToken(5))]],
    ['parameters that are not JSON', [entered('Wait for approval'), scheduled('{nope')]],
    ['parameters that are null', [entered('Wait for approval'), scheduled('null')]],
    ['parameters without message attributes', [entered('Wait for approval'), scheduled('{}')]],
    ['message attributes without the token', [entered('Wait for approval'), scheduled('{"MessageAttributes":{}}')]],
    // Every member of an AWS answer is optional: a state entered without its details is no approval.
    ['a task state entered without its details', [{ id: 0, type: 'TaskStateEntered', timestamp: NOW } as HistoryEvent, scheduled(withToken(TOKEN))]],
    ['a scheduled task without its details', [entered('Wait for approval'), event('TaskScheduled')]],
  ])('is none for %s', (_what, history) => {
    expect(pendingApproval([started, ...history])).toBeUndefined();
  });
});

describe('where an execution is, in words', () => {
  it.each([
    ['ExecutionSucceeded', 'it ended SUCCEEDED'],
    ['ExecutionFailed', 'it ended FAILED'],
    ['ExecutionAborted', 'it ended ABORTED'],
    ['ExecutionTimedOut', 'it ended TIMED_OUT'],
  ])('%s: %s', (end, words) => {
    expect(whereExecutionIs([started, entered('Take a snapshot'), event(end)])).toBe(words);
  });

  it('names the last state it entered, of any type, while it runs', () => {
    expect(whereExecutionIs([started, entered('Take a snapshot'), entered('Snapshot ready?', 'ChoiceStateEntered'), event('ChoiceStateExited')])).toBe(
      'it is running "Snapshot ready?"',
    );
    expect(whereExecutionIs([started])).toBe('it is running');
    // The SDK's events are all optional: an entered event without its details names nothing.
    expect(whereExecutionIs([started, event('PassStateEntered')])).toBe('it is running');
  });
});
