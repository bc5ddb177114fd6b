import { parityViolations } from '../rehearsal/invariants';
import { type RehearsalResult, rehearse } from '../rehearsal/run';
import { findScenario } from '../rehearsal/scenarios';
import { REHEARSAL_APPROVER } from '../rehearsal/sim/notifications';
import { runbookAssembly } from './support/assembly';

const results = new Map<string, RehearsalResult>();

async function run(name: string): Promise<RehearsalResult> {
  const cached = results.get(name);
  if (cached) return cached;
  const scenario = findScenario(name);
  if (!scenario) throw new Error(`no scenario ${name}`);
  const result = await rehearse({ assembly: runbookAssembly(), scenario });
  results.set(name, result);
  return result;
}

describe('the runbook executed end to end against the example deployment', () => {
  it('records versions before and after, the migrations applied and the snapshot in the success output', async () => {
    const result = await run('happy-path');

    expect(result.output).toMatchObject({
      outcome: 'SUCCEEDED',
      changeId: 'CHG-1234',
      schemaVersionBefore: '20211202100726',
      schemaVersionAfter: '20230118020300',
      migrationsApplied: ['20220503175500', '20230118020300'],
      serviceVersionBefore: '2.2.4',
      serviceVersionAfter: '2.5.1',
      desiredCount: 2,
      snapshotId: expect.stringMatching(/^metaflow-migration-chg-1234-[0-9a-f]{8}$/),
    });
    const steps = (result.output as { steps: Record<string, { StartedAt: string }> }).steps;
    expect(Object.keys(steps)).toEqual(expect.arrayContaining(['scaleToOne', 'restartForMigration', 'restartOnNewSchema', 'scaleBack']));
    // Every wait says when it started and ended: the snapshot's five minutes, plus at most one 30 s
    // check interval, on the virtual clock.
    const waits = (result.output as { waits: Record<string, { StartedAt: string; EndedAt: string; attempts: number }> }).waits;
    expect(Object.keys(waits).sort()).toEqual(['restartForMigration', 'restartOnNewSchema', 'scaleBack', 'scaleToOne', 'snapshot']);
    const snapshotWait = Date.parse(waits.snapshot?.EndedAt as string) - Date.parse(waits.snapshot?.StartedAt as string);
    expect(snapshotWait).toBeGreaterThanOrEqual(300_000);
    expect(snapshotWait).toBeLessThan(335_000);
    expect(waits.snapshot?.attempts).toBe(11);
  });

  it('talks to exactly one task for the upgrade and restarts twice, as the guide does', async () => {
    const result = await run('happy-path');
    const entered = result.states.map((s) => s.name);

    expect(entered.filter((n) => n === 'Upgrade the database schema')).toHaveLength(1);
    expect(entered).toEqual(
      expect.arrayContaining(['Restart the service for the migration', 'Restart the service on the new schema', 'Scale back to the original count']),
    );
    expect(entered.indexOf('Take RDS snapshot')).toBeLessThan(entered.indexOf('Scale to one task'));
    expect(entered.indexOf('Check the metadata service version')).toBeGreaterThan(entered.indexOf('Restart the service on the new schema'));
  });

  it('skips upgrade, verify and the second restart when the schema is already up to date', async () => {
    const result = await run('already-up-to-date');
    const entered = new Set(result.states.map((s) => s.name));

    expect(entered.has('Nothing to upgrade')).toBe(true);
    expect(entered.has('Upgrade the database schema')).toBe(false);
    expect(entered.has('Restart the service on the new schema')).toBe(false);
    expect(result.deployment.ledger.patchRequests).toBe(0);
  });

  it('registers a new task definition revision with the target image and deploys it', async () => {
    const result = await run('pinned-image-moved');
    const service = result.deployment.ecs.describeService();
    const { taskDefinition, tags } = result.deployment.ecs.findTaskDefinition(service.TaskDefinition as string);

    expect(taskDefinition.revision).toBe(2);
    expect(taskDefinition.containerDefinitions?.[0]?.image).toBe('netflixoss/metaflow_metadata_service:v2.5.1');
    expect(taskDefinition.taskRoleArn).toMatch(/metaflow-metadata-service$/);
    expect(tags).toEqual(expect.arrayContaining([{ key: 'metaflow-migration:change-id', value: 'CHG-1234' }]));
  });

  it('settles a lost upgrade answer by polling, never sending PATCH /upgrade twice', async () => {
    const result = await run('upgrade-times-out-but-succeeded');
    const entered = result.states.map((s) => s.name);

    expect(entered).toContain('Wait for the upgrade outcome');
    expect(result.deployment.ledger.patchRequests).toBe(1);
    expect(result.deployment.ledger.killedDuringUpgrade).toBe(0);
  });

  it('restores in place, equal to the original on every attribute a restore puts back, and keeps the upgraded one aside', async () => {
    const result = await run('upgrade-returns-500');
    const aside = result.deployment.rds.instances.find((i) => String(i.d.DBInstanceIdentifier).startsWith('metaflow-db-pre-'));

    expect(result.deployment.rds.find('metaflow-db')?.createdFrom).toBeDefined();
    expect(parityViolations(result)).toEqual([]);
    expect(aside).toMatchObject({ d: { DBInstanceStatus: 'available' }, db: { schemaVersion: '20220503175500' } });
  });

  it('reports the original error and what the rollback did in the failure cause', async () => {
    const result = await run('upgrade-returns-500');
    const report = JSON.parse(result.cause as string) as Record<string, unknown>;

    expect(report).toMatchObject({
      outcome: 'ROLLED_BACK',
      changeId: 'CHG-1234',
      databaseRestored: true,
      error: { Error: 'UpgradeFailed' },
      serviceVersionAfterRollback: '2.2.4',
    });
    expect(JSON.stringify(report.error)).toContain('upgrade failed');
  });

  it('stops a failed rollback where it is and names every resource and its state', async () => {
    const result = await run('restore-fails');
    const report = JSON.parse(result.cause as string) as { outcome: string; resources: { dbInstances: { Instances: { DbInstanceIdentifier: string; DbInstanceStatus: string }[] } } };

    expect(report.outcome).toBe('ROLLBACK_FAILED');
    expect(report.resources.dbInstances.Instances.map((i) => [i.DbInstanceIdentifier.replace(/-pre-.*/, '-pre-*'), i.DbInstanceStatus])).toEqual(
      expect.arrayContaining([
        ['metaflow-db', 'incompatible-restore'],
        ['metaflow-db-pre-*', 'available'],
      ]),
    );
    expect(result.states.map((s) => s.name)).not.toContain('Restart the service on the original release');
  });

  it('keeps the metadata service answering through every restart when the service rolls', async () => {
    const result = await run('happy-path');

    expect(result.metrics.downtimeSeconds).toBe(0);
    expect(result.output).toMatchObject({ original: { restartsRoll: true } });
  });

  it('records that restarts stop the service when it is configured stop-before-start, and the outage shows', async () => {
    const result = await run('stop-before-start-restarts');

    expect(result.output).toMatchObject({ original: { restartsRoll: false } });
    // One outage per restart, each about a task start: longer than the Metaflow client's ~31 s of retries.
    expect(result.metrics.longestOutageSeconds).toBeGreaterThan(31);
  });

  it.each([['happy-path'], ['upgrade-times-out-but-succeeded']])('rehearses %s the same way every time (virtual time, transitions, steps)', async (name) => {
    const first = await run(name);
    const again = await rehearse({ assembly: runbookAssembly(), scenario: findScenario(name) as never });
    const figures = (r: RehearsalResult) => ({ ...r.metrics, realMilliseconds: 0 });

    expect(figures(again)).toEqual(figures(first));
  });

  describe('change management', () => {
    it('records who asked, who approved and why in the audit record of an approved change', async () => {
      const result = await run('happy-path');

      expect(result.output).toMatchObject({
        requestedBy: 'jane.doe@example.com',
        reason: 'Metaflow 2.5 needs schema 20230118020300',
        approval: { decision: 'approved', approvedBy: REHEARSAL_APPROVER, comment: 'rehearsal: approved automatically' },
      });
    });

    it('asks the approvers with the change, the migrations and the task token, after the snapshot is available', async () => {
      const result = await run('happy-path');
      const ask = result.deployment.sns.messages.find((m) => m.subject.startsWith('Approval needed'));
      const entered = result.states.map((s) => s.name);

      expect(ask?.message).toContain('CHG-1234');
      expect(ask?.message).toContain('["20220503175500","20230118020300"]');
      expect(ask?.attributes).toMatchObject({ taskToken: { DataType: 'String', StringValue: expect.stringMatching(/^rehearsal-task-token-/) } });
      expect(entered.indexOf('Wait for approval')).toBeGreaterThan(entered.lastIndexOf('Describe the snapshot'));
      expect(entered.indexOf('Wait for approval')).toBeLessThan(entered.indexOf('Upgrade the database schema'));
    });

    it('does not ask for approval when nothing is pending', async () => {
      const result = await run('already-up-to-date');

      expect(result.deployment.sns.messages.filter((m) => m.subject.startsWith('Approval needed'))).toEqual([]);
      expect(result.output).toMatchObject({ approval: { decision: 'not needed' } });
    });

    it.each([
      ['approval-rejected', 'ChangeRejected', 'rejectedBy'],
      ['approval-timed-out', 'States.Timeout', 'not answered in time'],
    ])('%s: rolls the service back without touching the database and says so', async (name, error, detail) => {
      const result = await run(name);
      const report = JSON.parse(result.cause as string) as Record<string, unknown>;

      expect(report).toMatchObject({
        outcome: 'ROLLED_BACK',
        changeId: 'CHG-1234',
        requestedBy: 'jane.doe@example.com',
        databaseRestored: false,
        error: { Error: error },
      });
      expect(JSON.stringify(report.error)).toContain(detail);
      expect(result.deployment.ledger.patchRequests).toBe(0);
      expect(result.deployment.sns.messages.map((m) => m.subject)).toContain('Metaflow migration rolled back: CHG-1234');
    });

    it('ends a dry run with the plan, says which image it read the status from, and changes nothing', async () => {
      const result = await run('dry-run');

      expect(result.output).toEqual({
        outcome: 'DRY_RUN',
        changeId: 'CHG-1234',
        requestedBy: 'jane.doe@example.com',
        reason: 'Metaflow 2.5 needs schema 20230118020300',
        targetImage: null,
        snapshotIdToUse: expect.stringMatching(/^metaflow-migration-chg-1234-[0-9a-f]{8}$/),
        originalDesiredCount: 2,
        originalTaskDefinition: result.deployment.originalTaskDefinition,
        restartsRoll: true,
        approvalRequired: true,
        // The running task pins v2.2.4, which knows no newer schema: per it, nothing is pending...
        stepsThatWouldRun: ['1. Preflight', '2. Snapshot', '3. Scale to one task', '4. Restart onto the migration image', '5. Check schema status', '9. Check version', '10. Scale back'],
        statusReadFrom: expect.stringMatching(/:task\/metaflow\//),
        currentSchemaVersion: '20211202100726',
        migrationsToApply: [],
        // ...and the plan says so: the task runs `latest` as resolved when it started (ECS reports the
        // tag, not the digest), and the restart resolves the task definition's `latest` again.
        imageRunningNow: 'netflixoss/metaflow_metadata_service:latest',
        taskDefinitionImage: 'netflixoss/metaflow_metadata_service:latest',
        note: expect.stringContaining('may know newer migrations'),
      });
      expect(result.deployment.ecs.describeService()).toMatchObject({ DesiredCount: 2, TaskDefinition: result.deployment.originalTaskDefinition });
      expect(result.deployment.sns.messages).toEqual([]);
    });

    it('refuses a second execution before any change, naming the running ones', async () => {
      const result = await run('second-execution-refused');

      expect(result.cause).toContain('CHG-1200-20261124T080000Z');
      expect(result.calls.map((c) => c.state)).not.toContain('Take RDS snapshot');
    });

    it('tags the renamed-aside instance with the change and tells the subscribers the database was restored', async () => {
      const result = await run('upgrade-returns-500');
      const aside = result.deployment.rds.instances.find((i) => String(i.d.DBInstanceIdentifier).startsWith('metaflow-db-pre-'));

      expect(result.calls.map((c) => c.state)).toContain('Tag the renamed instance');
      expect(result.deployment.sns.messages.map((m) => m.subject)).toEqual(
        expect.arrayContaining(['Metaflow database restored: CHG-1234', 'Metaflow migration rolled back: CHG-1234']),
      );
      expect(aside).toBeDefined();
    });

    it('leaves the renamed-aside instance carrying the change id: "Tag the renamed instance" succeeds and the tag is in its TagList', async () => {
      // Regression: the simulation once lacked AddTagsToResource, and the Task's own Catch swallowed the failure.
      const result = await run('upgrade-returns-500');
      const aside = result.deployment.rds.instances.find((i) => String(i.d.DBInstanceIdentifier).startsWith('metaflow-db-pre-'));

      expect(result.calls.filter((c) => c.state === 'Tag the renamed instance').map((c) => c.error ?? 'answered')).toEqual(['answered']);
      expect(aside?.d.TagList).toContainEqual({ Key: 'metaflow-migration:change-id', Value: findScenario('upgrade-returns-500')?.input.changeId });
    });
  });
});
