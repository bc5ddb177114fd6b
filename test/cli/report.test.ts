import { HistoryReader, type RunEvent } from '../../cli/events';
import { buildReport, mermaidFlowchart, reportMarkdown } from '../../cli/report';
import { conclusion } from '../../cli/view';
import { APPROVER, EXECUTION_ARN, HISTORIES, ROLLED_BACK_CAUSE, START, SUCCESS_OUTPUT } from './fixtures/histories';

const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();
const recordOf = (name: keyof typeof HISTORIES) => buildReport(new HistoryReader().read(HISTORIES[name]), { executionArn: EXECUTION_ARN });

describe('the audit record of a recorded Step Functions history', () => {
  it('a successful run: who, when, versions, migrations, snapshot and the approver from the approval task', () => {
    const record = recordOf('succeeded');

    expect(record).toMatchObject({
      execution: EXECUTION_ARN,
      changeId: 'CHG-123',
      requestedBy: 'jane@example.com',
      reason: 'Metaflow 2.5 needs the new schema',
      status: 'SUCCEEDED',
      outcome: 'SUCCEEDED',
      rolledBack: false,
      startedAt: at(0),
      finishedAt: at(1182),
      approval: { decision: 'approved', by: APPROVER, note: 'go ahead', at: at(700) },
      snapshotId: SUCCESS_OUTPUT.snapshotId,
      schemaVersionBefore: '20211202100726',
      schemaVersionAfter: '20230118020300',
      serviceVersionBefore: '2.2.4',
      serviceVersionAfter: '2.5.1',
      migrationsApplied: ['20220503175500', '20230118020300'],
      error: null,
      rollback: null,
    });
    expect(record.summary).toBe('Migration complete: schema 20211202100726 → 20230118020300, 2 migrations applied, service 2.2.4 → 2.5.1.');
    expect(record.steps.find((s) => s.id === 'upgrade')).toEqual({
      id: 'upgrade',
      title: '8. Upgrade',
      status: 'succeeded',
      startedAt: at(1000),
      endedAt: at(1042),
      durationSeconds: 42,
      error: null,
      retries: 0,
    });
  });

  it('a rolled-back run: the original error, what the rollback decided and did, and its steps with their times', () => {
    const record = recordOf('rolledBack');

    expect(record).toMatchObject({
      status: 'FAILED',
      outcome: 'ROLLED_BACK',
      rolledBack: true,
      summary: ROLLED_BACK_CAUSE.summary,
      error: { error: 'UpgradeFailed', cause: ROLLED_BACK_CAUSE.error.Cause },
      snapshotId: ROLLED_BACK_CAUSE.snapshotId,
      requestedBy: 'jane@example.com',
      approval: { decision: 'approved', by: APPROVER },
      rollback: {
        decision: 'the upgrade request was sent; the schema may have changed',
        databaseRestored: true,
        serviceVersionAfterRollback: '2.2.4',
        rollbackError: null,
      },
    });
    expect(record.rollback?.actions.map((a) => [a.id, a.status, a.startedAt, a.endedAt])).toEqual([
      ['rollbackDecision', 'succeeded', at(1022), at(1022)],
      ['restoreDatabase', 'succeeded', at(1022), at(1600)],
      ['swapDatabase', 'succeeded', at(1600), at(2590)],
      ['rollbackService', 'succeeded', at(2590), at(2668)],
      ['report', 'succeeded', at(2668), at(2669)],
    ]);
  });

  it('a rejected run names who rejected it and why, and says nothing was changed', () => {
    const record = recordOf('rejected');

    // A history from before the runbook checked answers: who rejected is what the payload said.
    expect(record.approval).toEqual({ decision: 'rejected', by: APPROVER, note: 'not during the release freeze', at: at(900), verified: null });
    expect(record).toMatchObject({ outcome: 'NOTHING_CHANGED', rolledBack: false, rollback: null });
    expect(conclusion(record)).toMatch(/^Execution FAILED \(ChangeRejected\) after 15m 01s: nothing was changed\./);
  });

  it('an aborted run is neither rolled back nor given a rollback section it did not have', () => {
    expect(recordOf('aborted')).toMatchObject({ status: 'ABORTED', outcome: 'ABORTED', rolledBack: false, rollback: null });
  });

  it('the Markdown has the fields, a Mermaid flowchart and the step table', () => {
    const md = reportMarkdown(recordOf('rolledBack'));

    expect(md).toMatch(/^# Metaflow schema migration CHG-123: ROLLED_BACK\n/);
    expect(md).toContain(`| Approval | approved by ${APPROVER} at ${at(700)}: go ahead |`);
    expect(md).toContain('| Requested by | jane@example.com |');
    expect(md).toContain('```mermaid\nflowchart TD\n');
    expect(md).toContain(`| 8. Upgrade | failed | ${at(1000)} | ${at(1022)} | 22 s | UpgradeFailed |`);
    expect(md).toContain('## Rollback');
    expect(md).toContain('| Database restored | yes, from the snapshot |');
  });

  it('the flowchart colours each step by its outcome and hangs the rollback off the failed step', () => {
    const chart = mermaidFlowchart(recordOf('rolledBack'));
    const lines = chart.split('\n').map((l) => l.trim());

    for (const status of ['succeeded', 'failed', 'skipped', 'pending']) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^classDef ${status} fill:`)));
    expect(lines).toContain('class upgrade failed');
    expect(lines).toContain('class verify,restartOnNewSchema,version,scaleBack,summary skipped');
    expect(lines).toContain('class preflight,plan,approval,scaleToOne,restartForMigration,status,snapshot,rollbackDecision,restoreDatabase,swapDatabase,rollbackService,report succeeded');
    expect(lines).toContain('upgrade -. rollback .-> rollbackDecision["Rollback: decide"]');
    expect(lines).toContain('snapshot --> upgrade["8. Upgrade"]');
  });

  it.each([
    [true, true, '| Requested by | arn:aws:sts::111122223333:assumed-role/ops/jane (verified) |', '| Approval | approved by arn:aws:iam::111122223333:user/bob (verified) at '],
    [false, false, '| Requested by | jane@example.com (typed when the execution was started: not verified) |', '| Approval | approved (not verified) at '],
  ])('keeps whether the requester (%s) and the approver (%s) were verified, as the runbook recorded them, over what the approval task received', (requesterVerified, approverVerified, requesterLine, approvalLine) => {
    // Prepare: the task received a payload claiming an approver; the runbook's check recorded who it verified.
    const requester = requesterVerified ? 'arn:aws:sts::111122223333:assumed-role/ops/jane' : 'jane@example.com';
    const approval = approverVerified
      ? { decision: 'approved', approvedBy: 'arn:aws:iam::111122223333:user/bob', comment: null, verified: true }
      : { decision: 'approved', approvedBy: null, comment: null, verified: false };
    const events: RunEvent[] = [
      { kind: 'execution-started', at: at(0), input: { changeId: 'CHG-9', requestedBy: requester } },
      { kind: 'entered', at: at(10), state: 'Wait for approval', stateType: 'Task' },
      { kind: 'exited', at: at(600), state: 'Wait for approval', stateType: 'Task', result: { decision: 'approved', approvedBy: 'someone typed this' } },
      { kind: 'execution-succeeded', at: at(1200), output: { ...SUCCESS_OUTPUT, requestedBy: requester, requester: { id: requester, verified: requesterVerified }, approval } },
    ];

    // Act
    const record = buildReport(events);
    const markdown = reportMarkdown(record);

    // Assess
    expect(record).toMatchObject({ requestedBy: requester, requesterVerified, approval: { by: approval.approvedBy, verified: approverVerified, at: at(600) } });
    expect(markdown).toContain(requesterLine);
    expect(markdown).toContain(approvalLine);
  });

  it('a running execution is reported as far as it went, its later steps pending', () => {
    const record = buildReport(new HistoryReader().read(HISTORIES.waitingForApproval));
    const chart = mermaidFlowchart(record);

    expect(record).toMatchObject({ status: 'RUNNING', outcome: 'RUNNING', finishedAt: null, summary: 'Still running (in "Wait for approval").' });
    expect(chart).toContain('class scaleToOne,restartForMigration,status,snapshot,upgrade,verify,restartOnNewSchema,version,scaleBack,summary pending');
    expect(chart).toContain('class approval running');
  });

  it('a dry run reports its plan and says nothing was changed', () => {
    const plan = { outcome: 'DRY_RUN', changeId: 'CHG-9', currentSchemaVersion: '20211202100726', migrationsToApply: ['20220503175500'], stepsThatWouldRun: ['1. Preflight', '8. Upgrade'] };
    const events: RunEvent[] = [
      { kind: 'execution-started', at: at(0), input: { changeId: 'CHG-9', requestedBy: 'jane', dryRun: true } },
      { kind: 'entered', at: at(0), state: 'Validate the execution input', stateType: 'Task' },
      { kind: 'exited', at: at(1), state: 'Validate the execution input', stateType: 'Task' },
      { kind: 'execution-succeeded', at: at(2), output: plan },
    ];
    const record = buildReport(events);

    expect(record).toMatchObject({ dryRun: true, outcome: 'DRY_RUN', schemaVersionBefore: '20211202100726', plan: { migrationsToApply: ['20220503175500'], stepsThatWouldRun: ['1. Preflight', '8. Upgrade'] } });
    expect(conclusion(record)).toBe('Execution SUCCEEDED after 2s. Dry run, nothing was changed: schema 20211202100726, 1 migration to apply (20220503175500).');
    expect(reportMarkdown(record)).toContain('| Steps that would run | 1. Preflight, 8. Upgrade |');
  });

  it('a failure in preflight, with a Lambda error as its cause, says nothing was changed', () => {
    const cause = JSON.stringify({ errorType: 'InvalidExecutionInput', errorMessage: 'changeId: expected a ticket reference' });
    const events: RunEvent[] = [
      { kind: 'execution-started', at: at(0), input: { changeId: 'CHG 9' } },
      { kind: 'entered', at: at(0), state: 'Validate the execution input', stateType: 'Task' },
      { kind: 'failed', at: at(1), state: 'Validate the execution input', stateType: 'Task', error: 'InvalidExecutionInput', cause },
      { kind: 'execution-failed', at: at(1), status: 'FAILED', error: 'InvalidExecutionInput', cause },
    ];

    expect(conclusion(buildReport(events))).toBe(
      'Execution FAILED (InvalidExecutionInput) after 1s: stopped in preflight, nothing was changed. InvalidExecutionInput: changeId: expected a ticket reference',
    );
  });
});
