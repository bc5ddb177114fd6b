import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { HistoryReader, type RunEvent } from '../../cli/events';
import { type Progress, progressLines, reduceProgress, type StepProgress, visibleSteps } from '../../cli/progress';
import { GUIDE_STEPS } from '../../workflows/steps';
import { HISTORIES, type HistoryName, pages, START } from './fixtures/histories';

/** Reads a history page by page, as `report` does. */
function readPaged(events: readonly HistoryEvent[], pageSize = 40): RunEvent[] {
  const reader = new HistoryReader();
  return pages(events, pageSize).flatMap((page) => reader.read(page.events ?? []));
}

const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();
const step = (progress: Progress, id: string) => progress.steps.find((s) => s.id === id) as StepProgress;
const fields = (s: StepProgress) => ({ status: s.status, startedAt: s.startedAt, endedAt: s.endedAt, error: s.error });

describe('the progress of a recorded Step Functions history', () => {
  it('reads the same events whatever the page size', () => {
    const whole = new HistoryReader().read(HISTORIES.rolledBack);

    expect(pages(HISTORIES.rolledBack, 40).length).toBeGreaterThanOrEqual(3);
    expect(readPaged(HISTORIES.rolledBack, 40)).toEqual(whole);
    expect(readPaged(HISTORIES.rolledBack, 7)).toEqual(whole);
  });

  it.each([
    ['preflight', 'succeeded', 0, 10],
    ['plan', 'succeeded', 10, 78],
    ['approval', 'succeeded', 78, 700],
    ['scaleToOne', 'succeeded', 700, 701],
    ['restartForMigration', 'succeeded', 701, 780],
    ['status', 'succeeded', 780, 782],
    ['snapshot', 'succeeded', 782, 1000],
    ['upgrade', 'succeeded', 1000, 1042],
    ['verify', 'succeeded', 1042, 1043],
    ['restartOnNewSchema', 'succeeded', 1043, 1120],
    ['version', 'succeeded', 1120, 1121],
    ['scaleBack', 'succeeded', 1121, 1182],
    ['summary', 'succeeded', 1182, 1182],
  ] as const)('a successful run: %s %s from +%is to +%is', (id, status, from, to) => {
    const progress = reduceProgress(readPaged(HISTORIES.succeeded));

    expect(fields(step(progress, id))).toEqual({ status, startedAt: at(from), endedAt: at(to), error: undefined });
    expect(step(progress, id).elapsedSeconds).toBe(to - from);
  });

  it('a successful run shows no rollback step, ends SUCCEEDED with its output, and counts the retried describe', () => {
    const progress = reduceProgress(readPaged(HISTORIES.succeeded));

    expect(progress.status).toBe('SUCCEEDED');
    expect(progress.output).toMatchObject({ outcome: 'SUCCEEDED', changeId: 'CHG-123' });
    expect(visibleSteps(progress).some((s) => s.onFailureOnly)).toBe(false);
    expect(step(progress, 'preflight').retries).toBe(1);
    // The plan task still starting was retried by the Task's Retry: a retry, not a failure.
    expect(step(progress, 'plan')).toMatchObject({ status: 'succeeded', retries: 1 });
    // The snapshot's "not yet" was caught by the wait loop: no failure.
    expect(step(progress, 'snapshot').status).toBe('succeeded');
  });

  it.each([
    ['approval', 'succeeded', 78, 700, undefined],
    ['snapshot', 'succeeded', 782, 1000, undefined],
    ['upgrade', 'failed', 1000, 1022, 'UpgradeFailed'],
    ['verify', 'skipped', undefined, undefined, undefined],
    ['restartOnNewSchema', 'skipped', undefined, undefined, undefined],
    ['version', 'skipped', undefined, undefined, undefined],
    ['scaleBack', 'skipped', undefined, undefined, undefined],
    ['summary', 'skipped', undefined, undefined, undefined],
    ['rollbackDecision', 'succeeded', 1022, 1022, undefined],
    ['restoreDatabase', 'succeeded', 1022, 1600, undefined],
    ['swapDatabase', 'succeeded', 1600, 2590, undefined],
    ['rollbackService', 'succeeded', 2590, 2668, undefined],
    ['report', 'succeeded', 2668, 2669, undefined],
  ] as const)('a rolled-back run: %s %s', (id, status, from, to, error) => {
    const progress = reduceProgress(readPaged(HISTORIES.rolledBack));

    expect(fields(step(progress, id))).toEqual({
      status,
      startedAt: from === undefined ? undefined : at(from),
      endedAt: to === undefined ? undefined : at(to),
      error,
    });
  });

  it('a rolled-back run ends FAILED with the original error and shows the rollback steps that ran', () => {
    const progress = reduceProgress(readPaged(HISTORIES.rolledBack));

    expect({ status: progress.status, error: progress.error }).toEqual({ status: 'FAILED', error: 'UpgradeFailed' });
    expect(visibleSteps(progress).map((s) => s.id)).toEqual(GUIDE_STEPS.map((s) => s.id));
  });

  it('a rejected approval fails the approval step, skips every change and shows no rollback, only the report', () => {
    const progress = reduceProgress(readPaged(HISTORIES.rejected));

    expect(fields(step(progress, 'approval'))).toEqual({ status: 'failed', startedAt: at(78), endedAt: at(900), error: 'ChangeRejected' });
    for (const id of ['scaleToOne', 'restartForMigration', 'snapshot', 'upgrade']) expect([id, step(progress, id).status]).toEqual([id, 'skipped']);
    expect(visibleSteps(progress).filter((s) => s.onFailureOnly).map((s) => s.id)).toEqual(['report']);
    expect(step(progress, 'report').status).toBe('succeeded');
  });

  it('a running execution: the current step runs until now, later steps are pending, the waiting state is known', () => {
    const progress = reduceProgress(readPaged(HISTORIES.waitingForApproval), at(500));

    expect(progress.status).toBe('RUNNING');
    expect(progress.currentState).toBe('Wait for approval');
    expect({ ...fields(step(progress, 'approval')), elapsed: step(progress, 'approval').elapsedSeconds }).toEqual({
      status: 'running',
      startedAt: at(78),
      endedAt: undefined,
      error: undefined,
      elapsed: 422,
    });
    const after = GUIDE_STEPS.slice(GUIDE_STEPS.findIndex((s) => s.id === 'approval') + 1).map((s) => s.id);
    expect(progress.steps.filter((s) => s.status === 'pending').map((s) => s.id)).toEqual(after);
  });

  it('an aborted execution fails the step that was running and skips the rest', () => {
    const progress = reduceProgress(readPaged(HISTORIES.aborted));

    expect(progress.status).toBe('ABORTED');
    expect(fields(step(progress, 'restartForMigration'))).toEqual({ status: 'failed', startedAt: at(701), endedAt: at(760), error: 'ABORTED' });
    expect(step(progress, 'status').status).toBe('skipped');
  });

  it.each(Object.keys(HISTORIES) as HistoryName[])('%s: one line per visible step with its mark, status and time', (name) => {
    const progress = reduceProgress(readPaged(HISTORIES[name]), at(500));
    const lines = progressLines(progress);

    expect(lines).toHaveLength(visibleSteps(progress).length);
    visibleSteps(progress).forEach((s, i) => {
      expect(lines[i]).toContain(s.title);
      expect(lines[i]).toContain(s.status);
    });
  });
});
