import type { RunEvent } from '../../cli/events';
import { rehearseEvents } from '../../cli/local';
import { reduceProgress, type StepStatus, visibleSteps } from '../../cli/progress';
import { buildReport } from '../../cli/report';
import { GUIDE_STEPS } from '../../workflows/steps';
import { runbookAssembly } from '../support/assembly';
import { PEOPLE } from '../../rehearsal/sim/people';
import { runCli } from './support';

const rehearsed = new Map<string, Promise<RunEvent[]>>();
const eventsOf = (scenario: string) => {
  if (!rehearsed.has(scenario)) rehearsed.set(scenario, rehearseEvents(runbookAssembly, scenario));
  return rehearsed.get(scenario) as Promise<RunEvent[]>;
};
const statuses = async (scenario: string) => Object.fromEntries(reduceProgress(await eventsOf(scenario)).steps.map((s) => [s.id, s.status]));

const NORMAL = GUIDE_STEPS.filter((s) => !s.onFailureOnly).map((s) => s.id);
const ROLLBACK = GUIDE_STEPS.filter((s) => s.onFailureOnly).map((s) => s.id);
const UPGRADE = NORMAL.indexOf('upgrade');
const APPROVAL = NORMAL.indexOf('approval');
const all = (ids: string[], status: StepStatus) => Object.fromEntries(ids.map((id) => [id, status]));

describe('progress and report from the local rehearsal event stream', () => {
  it.each([
    ['happy-path', { ...all(NORMAL, 'succeeded'), ...all(ROLLBACK, 'pending') }],
    [
      'already-up-to-date',
      { ...all(NORMAL, 'succeeded'), snapshot: 'skipped', upgrade: 'skipped', verify: 'skipped', restartOnNewSchema: 'skipped', ...all(ROLLBACK, 'pending') },
    ],
    [
      'approval-rejected',
      { ...all(NORMAL.slice(0, APPROVAL), 'succeeded'), approval: 'failed', ...all(NORMAL.slice(APPROVAL + 1), 'skipped'), ...all(ROLLBACK, 'pending'), report: 'succeeded' },
    ],
    [
      'upgrade-returns-500',
      { ...all(NORMAL.slice(0, UPGRADE), 'succeeded'), upgrade: 'failed', ...all(NORMAL.slice(UPGRADE + 1), 'skipped'), ...all(ROLLBACK, 'succeeded') },
    ],
  ] as const)('%s: every step ends as the scenario goes', async (scenario, expected) => {
    expect(await statuses(scenario)).toEqual(expected);
  });

  it('steps follow each other without gaps on the virtual clock, and the failed step names its error', async () => {
    const progress = reduceProgress(await eventsOf('upgrade-returns-500'));
    const ran = visibleSteps(progress).filter((s) => s.startedAt !== undefined);

    ran.slice(1).forEach((s, i) => {
      expect(s.startedAt).toBe(ran[i]?.endedAt);
    });
    expect(ran[0]?.startedAt).toBe(progress.startedAt);
    expect(ran[ran.length - 1]?.endedAt).toBe(progress.endedAt);
    expect(progress.steps.find((s) => s.id === 'upgrade')?.error).toBe('UpgradeFailed');
  });

  it.each([
    ['happy-path', { status: 'SUCCEEDED', outcome: 'SUCCEEDED', rolledBack: false, migrationsApplied: ['20220503175500', '20230118020300'], rollback: null }],
    ['already-up-to-date', { status: 'SUCCEEDED', outcome: 'SUCCEEDED', schemaVersionBefore: '20230118020300', migrationsApplied: [], rollback: null }],
    [
      'upgrade-returns-500',
      { status: 'FAILED', outcome: 'ROLLED_BACK', rolledBack: true, error: { error: 'UpgradeFailed' }, rollback: { databaseRestored: true, serviceVersionAfterRollback: '2.2.4' } },
    ],
  ] as const)('%s: the audit record', async (scenario, expected) => {
    const record = buildReport(await eventsOf(scenario));

    expect(record).toMatchObject({ changeId: 'CHG-1234', snapshotId: expect.stringMatching(/^metaflow-migration-chg-1234-/), ...expected });
  });

  it('approval-rejected: the audit record says nothing was changed and keeps the plan that was refused', async () => {
    const record = buildReport(await eventsOf('approval-rejected'));

    expect(record).toMatchObject({
      status: 'FAILED',
      outcome: 'NOTHING_CHANGED',
      rolledBack: false,
      rollback: null,
      error: { error: 'ChangeRejected' },
      plan: { migrationsToApply: ['20220503175500', '20230118020300'], imageDigest: expect.stringMatching(/^sha256:/) },
    });
  });
});

describe('--local drives the same commands', () => {
  it('watch --local follows a rolled-back rehearsal step by step and exits 1, saying it was rolled back', async () => {
    const { code, stdout } = await runCli(['watch', '--local', '--scenario', 'upgrade-returns-500'], { assembly: runbookAssembly });

    expect(code).toBe(1);
    expect(stdout).toMatch(/8\. Upgrade: failed .*UpgradeFailed/);
    expect(stdout).toContain('Rollback: restore the database: succeeded');
    expect(stdout).toMatch(/Execution FAILED \(UpgradeFailed\) after .*: rolled back\./);
  });

  it('report --local writes the Markdown record of a rehearsal with the snapshot, upgrade, verify and second restart skipped', async () => {
    const { code, stdout } = await runCli(['report', '--local', '--scenario', 'already-up-to-date'], { assembly: runbookAssembly });

    expect(code).toBe(0);
    expect(stdout).toContain('# Metaflow schema migration CHG-1234: SUCCEEDED');
    expect(stdout).toContain('class snapshot,upgrade,verify,restartOnNewSchema skipped');
  });

  it("start --local starts the rehearsal through its endpoint, signed as the requester, who the record then names as verified", async () => {
    const { code, stdout } = await runCli(['start', '--local', '--change-id', 'CHG-77', '--reason', 'rehearsed start'], { assembly: runbookAssembly });

    expect(code).toBe(0);
    expect(stdout).toContain(`Started in the rehearsal, through its endpoint, as ${PEOPLE.requester.arn} (verified)`);
    expect(stdout).toMatch(/Execution SUCCEEDED after /);
  });

  it("approve --local answers the rehearsal's approval as --as through its endpoint: a member of the approvers' role approves, verified", async () => {
    const { code, stdout } = await runCli(['approve', '--local', '--scenario', 'verified-requester-and-approver', '--as', 'approver-role', '--comment', 'tonight'], {
      assembly: runbookAssembly,
    });

    expect(code).toBe(0);
    expect(stdout).toContain(`Approved as ${PEOPLE['approver-role'].arn} (verified by the runbook's endpoint)`);
    expect(stdout).toMatch(/Execution SUCCEEDED after /);
  });

  it("approve --local as the requester is refused with the endpoint's reason (exit 1); the change waits, times out, and nothing changes", async () => {
    const { code, stdout, stderr } = await runCli(['approve', '--local', '--scenario', 'self-approval-refused', '--as', 'approver-role'], { assembly: runbookAssembly });

    expect(code).toBe(1);
    expect(stderr).toContain(`refused by the runbook's endpoint (SelfApprovalRefused): ${PEOPLE['approver-role'].arn} requested this change and may not approve it`);
    expect(stdout).toMatch(/Execution FAILED \(ApprovalTimedOut\) after .*nothing was changed/);
  });

  it('an unknown scenario is a usage error naming the known ones', async () => {
    const { code, stderr } = await runCli(['watch', '--local', '--scenario', 'nope'], { assembly: runbookAssembly });

    expect(code).toBe(2);
    expect(stderr).toContain('--scenario: unknown scenario "nope"; expected one of: happy-path,');
  });
});
