import { parityViolations } from '../rehearsal/invariants';
import { type RehearsalResult, rehearse } from '../rehearsal/run';
import { findScenario } from '../rehearsal/scenarios';
import { NOTES } from '../rehearsal/sim/approvers';
import { PEOPLE, REHEARSAL_APPROVERS } from '../rehearsal/sim/people';
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
    expect(Object.keys(waits).sort()).toEqual(['planTaskStop', 'restartForMigration', 'restartOnNewSchema', 'scaleBack', 'scaleToOne', 'snapshot']);
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
    // The snapshot is the last step before the upgrade request: a restore loses only what was written during both.
    expect(entered.indexOf('Take RDS snapshot')).toBeGreaterThan(entered.lastIndexOf('Restart the service for the migration'));
    expect(entered.indexOf('Take RDS snapshot')).toBeGreaterThan(entered.lastIndexOf('Check the schema status'));
    expect(entered.indexOf('Take RDS snapshot')).toBeLessThan(entered.indexOf('Upgrade the database schema'));
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

  it('stops a failed rollback where it is and names every resource and its state: a failed restore beside the original leaves the original serving', async () => {
    const result = await run('restore-fails');
    const report = JSON.parse(result.cause as string) as { outcome: string; resources: { dbInstances: { Instances: { DbInstanceIdentifier: string; DbInstanceStatus: string }[] } } };

    expect(report.outcome).toBe('ROLLBACK_FAILED');
    expect(report.resources.dbInstances.Instances.map((i) => [i.DbInstanceIdentifier.replace(/-restored-.*/, '-restored-*'), i.DbInstanceStatus])).toEqual([
      ['metaflow-db', 'available'],
      ['metaflow-db-restored-*', 'incompatible-restore'],
    ]);
    expect(result.states.map((s) => s.name)).not.toContain('Rename the current instance aside');
    expect(result.states.map((s) => s.name)).not.toContain('Restart the service on the original release');
  });

  it('undoes a swap the restored instance cannot complete: the original is renamed back and serves, and the cause says so', async () => {
    const result = await run('swap-takeover-refused');
    const report = JSON.parse(result.cause as string) as { rollbackError: { Error: string; Cause: string } };

    expect(report.rollbackError).toMatchObject({ Error: 'SwapFailed', Cause: expect.stringContaining('the original instance was renamed back and serves again') });
    expect(result.deployment.rds.find('metaflow-db')?.createdFrom).toBeUndefined();
    expect(result.deployment.rds.connect('metaflow-db')).not.toBeNull();
    expect(result.deployment.rds.instances.map((i) => i.d.DBInstanceIdentifier)).toEqual(expect.arrayContaining([expect.stringMatching(/^metaflow-db-restored-/)]));
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
        approval: { decision: 'approved', approvedBy: PEOPLE.approver.arn, comment: NOTES.approve, verified: true },
      });
    });

    it('asks the approvers with the plan, the digest it was read from and both ways to answer, before anything changes', async () => {
      const result = await run('happy-path');
      const ask = result.deployment.sns.messages.find((m) => m.subject.startsWith('Approval needed'));
      const entered = result.states.map((s) => s.name);

      expect(ask?.message).toContain('CHG-1234');
      expect(ask?.message).toContain('["20220503175500","20230118020300"]');
      expect(ask?.message).toMatch(/read from image netflixoss\/metaflow_metadata_service:latest at sha256:[0-9a-f]{64}/);
      expect(ask?.message).toContain('runbook -- approve arn:aws:states:');
      expect(ask?.message).toContain('aws stepfunctions send-task-success --task-token rehearsal-task-token-');
      expect(ask?.message).toContain('console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:');
      expect(ask?.attributes).toMatchObject({ taskToken: { DataType: 'String', StringValue: expect.stringMatching(/^rehearsal-task-token-/) } });
      // After the plan task is stopped, before the first change.
      expect(entered.indexOf('Wait for approval')).toBeGreaterThan(entered.lastIndexOf('Describe the plan task'));
      for (const change of ['Scale to one task', 'Restart the service for the migration', 'Take RDS snapshot']) {
        expect([change, entered.indexOf('Wait for approval') < entered.indexOf(change)]).toEqual([change, true]);
      }
    });

    it('offers the plain send-task-success payload only where it would count: without approvers configured', async () => {
      const open = (await run('happy-path')).deployment.sns.messages.find((m) => m.subject.startsWith('Approval needed'));
      const guarded = (await run('plain-approval-refused')).deployment.sns.messages.find((m) => m.subject.startsWith('Approval needed'));

      expect(open?.message).toContain("Anyone allowed to call the runbook's endpoint may approve. The requester may not approve their own change.");
      expect(open?.message).toContain('--task-output {"decision":"approved"}');
      expect(guarded?.message).toContain(`Who may approve: ${REHEARSAL_APPROVERS.join(', ')}.`);
      expect(guarded?.message).toContain('a plain aws stepfunctions send-task-success is refused');
      expect(guarded?.message).not.toContain('--task-output');
      // Both name the requester as verified or not.
      expect(open?.message).toContain('requested by jane.doe@example.com (typed when the execution was started: not verified)');
      expect(guarded?.message).toContain(`requested by ${PEOPLE.requester.arn} (verified: a signed request to the runbook's endpoint)`);
    });

    it("records what each attempt to answer got: refusals at the endpoint leave the execution waiting for the next", async () => {
      const result = await run('verified-requester-and-approver');

      expect(result.approvalAttempts.map((a) => [a.by, a.status, a.answer.error ?? a.answer.decision])).toEqual([
        ['outsider', 403, 'ApproverNotAllowed'],
        ['approver-role', 200, 'approved'],
      ]);
      // The simulated KMS made the two attestations and checked both, once each.
      expect(result.deployment.kms.calls.map((c) => [c.operation, c.valid ?? null])).toEqual([
        ['GenerateMac', null],
        ['VerifyMac', true],
        ['GenerateMac', null],
        ['VerifyMac', true],
      ]);
    });

    it('does not ask for approval when nothing is pending', async () => {
      const result = await run('already-up-to-date');

      expect(result.deployment.sns.messages.filter((m) => m.subject.startsWith('Approval needed'))).toEqual([]);
      expect(result.output).toMatchObject({ approval: { decision: 'not needed' } });
    });

    it.each([
      ['approval-rejected', 'ChangeRejected', 'rejectedBy'],
      ['approval-timed-out', 'ApprovalTimedOut', 'No approver answered within 240 minutes'],
    ])('%s: changes nothing at all, no snapshot, and says so with the plan that was not approved', async (name, error, detail) => {
      const result = await run(name);
      const report = JSON.parse(result.cause as string) as Record<string, unknown>;

      expect(report).toMatchObject({
        outcome: 'NOTHING_CHANGED',
        changeId: 'CHG-1234',
        requestedBy: 'jane.doe@example.com',
        plannedMigrations: ['20220503175500', '20230118020300'],
        error: { Error: error },
      });
      expect(JSON.stringify(report.error)).toContain(detail);
      expect(result.deployment.ledger.patchRequests).toBe(0);
      expect(result.deployment.rds.snapshots).toEqual([]);
      expect(result.deployment.ecs.describeService()).toMatchObject({ DesiredCount: 2, TaskDefinition: result.deployment.originalTaskDefinition });
      expect(result.calls.map((c) => c.resource).filter((r) => /:(updateService|createDBSnapshot)$/.test(r))).toEqual([]);
    });

    it('ends a dry run with the plan read from the image the restart would deploy, and changes nothing', async () => {
      const result = await run('dry-run');

      expect(result.output).toEqual({
        outcome: 'DRY_RUN',
        changeId: 'CHG-1234',
        requestedBy: 'jane.doe@example.com',
        requester: { id: 'jane.doe@example.com', verified: false, label: 'jane.doe@example.com (typed when the execution was started: not verified)' },
        reason: 'Metaflow 2.5 needs schema 20230118020300',
        targetImage: null,
        snapshotIdToUse: expect.stringMatching(/^metaflow-migration-chg-1234-[0-9a-f]{8}$/),
        originalDesiredCount: 2,
        originalTaskDefinition: result.deployment.originalTaskDefinition,
        releaseTaskDefinition: result.deployment.originalTaskDefinition,
        restartsRoll: true,
        approvalRequired: true,
        stepsThatWouldRun: [
          '1. Preflight',
          '2. Read the plan from the new image',
          '3. Approval',
          '4. Scale to one task',
          '5. Restart onto the new image',
          '6. Check the plan still holds',
          '7. Snapshot',
          '8. Upgrade',
          '9. Verify',
          '10. Restart on the new schema',
          '11. Check version',
          '12. Scale back',
        ],
        currentSchemaVersion: '20211202100726',
        // The running tasks pin the old release, which knows no newer migration; the task
        // definition's `latest` does, and the plan is read from a task of it.
        migrationsToApply: ['20220503175500', '20230118020300'],
        image: 'netflixoss/metaflow_metadata_service:latest',
        imageDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        readFrom: expect.stringMatching(/:task\/metaflow\//),
        notRestoredByARestore: [],
      });
      expect(result.deployment.ecs.describeService()).toMatchObject({ DesiredCount: 2, TaskDefinition: result.deployment.originalTaskDefinition });
      expect(result.deployment.ecs.standalone.map((t) => t.desiredStatus)).toEqual(['STOPPED']);
      expect(result.deployment.rds.snapshots).toEqual([]);
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
