import type { ScenarioSettings } from './assembly';
import type { FixtureName } from './fixtures';
import type { World } from './sim/deployment';
import { PEOPLE, REHEARSAL_APPROVERS } from './sim/people';

const IMAGE = 'netflixoss/metaflow_metadata_service';

/** What a scenario must end with; the tests check every field, the CLI prints them. */
export interface Expectation {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The error the execution ends with (the original error, not the rollback's). */
  readonly error?: string;
  /** Whether an instance restored from the snapshot is available under the original identifier. */
  readonly databaseRestored: boolean;
  /** The schema version of the database under the original identifier at the end. */
  readonly finalSchema: string;
  /** The metadata service version the service ends up answering with. */
  readonly finalServiceVersion?: string;
  /** No AWS call at all (bad input). */
  readonly noAwsCall?: boolean;
  /** Only reads: no snapshot, no scaling, no restart, no upgrade. */
  readonly readOnly?: boolean;
  /** When the rollback fails: whether an instance still answers under the original identifier. */
  readonly databaseServing?: boolean;
  /**
   * Nothing was changed: the service runs its original task definition and count in its one
   * deployment, no snapshot was taken, the database was neither modified nor restored. (Reading
   * the plan may register a task definition revision and run a standalone task, stopped since.)
   */
  readonly untouched?: boolean;
  /** Who the audit record says asked for the change, and whether that was verified. */
  readonly requester?: { readonly id: string; readonly verified: boolean };
  /** Who the audit record says answered the approval (null: nobody named), and whether that was verified. */
  readonly answeredBy?: { readonly id: string | null; readonly verified: boolean };
  /** The HTTP status each attempt to answer the approval got, in order. */
  readonly attempts?: readonly number[];
  /** Words the failure's cause must contain (the fields a rejected input names). */
  readonly causeMentions?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly input: Record<string, unknown>;
  readonly world: World;
  /** Settings the scenario needs other than its deployment's, as a configuration file writes them (approvers, say). */
  readonly settings?: ScenarioSettings;
  readonly expect: Expectation;
  /**
   * The deployment fixtures the scenario table runs it on, when not all: a scenario about the ECS
   * service's behaviour alone tells nothing more on another database's shape.
   */
  readonly fixtures?: readonly FixtureName[];
}

/** Approvers configured: the approvers' role and one user (rehearsal/sim/people.ts). */
const WITH_APPROVERS: ScenarioSettings = { approval: { approvers: [...REHEARSAL_APPROVERS] } };
/** No approvers configured: anyone IAM lets call the endpoint, and the plain payload counts, unverified. */
const WITHOUT_APPROVERS: ScenarioSettings = { approval: { approvers: [] } };

const OLD_SCHEMA = '20211202100726';
/** Where a failed upgrade leaves the schema: one of the two migrations applied. */
const HALF_UPGRADED = '20220503175500';
const NEW_SCHEMA = '20230118020300';

/** How a change that went through ends, and how one refused before anything changed ends. */
const UPGRADED = { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' } as const;
const NOTHING_CHANGED = { status: 'FAILED', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true } as const;

/** The usual deployment: two tasks on a `latest` tag that now resolves to a newer image. */
const usual: World = {
  schemaVersion: OLD_SCHEMA,
  taskDefinitionImage: `${IMAGE}:latest`,
  runningImage: `${IMAGE}:v2.2.4`,
  desiredCount: 2,
};

/** Settings an RDS restore would not give the instance unless told (see RESTORE_DEFAULTS in the simulation). */
const NON_DEFAULT_SETTINGS = {
  Endpoint: { Address: 'metaflow-db.c9akciq32.eu-west-1.rds.amazonaws.com', Port: 5433, HostedZoneId: 'Z29XKXDKYMONMX' },
  PubliclyAccessible: true,
};

const input = { changeId: 'CHG-1234', requestedBy: 'jane.doe@example.com', reason: 'Metaflow 2.5 needs schema 20230118020300' };

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'happy-path',
    description: 'Two tasks on the latest tag: the plan read from latest (two migrations), approved; one task, restart, snapshot, upgrade, restart, 2.5.1, back to two.',
    input,
    world: usual,
    expect: {
      ...UPGRADED,
      // Started in the console: the requester is what was typed, and the record says so.
      requester: { id: 'jane.doe@example.com', verified: false },
      answeredBy: { id: PEOPLE.approver.arn, verified: true },
      attempts: [200],
    },
  },
  {
    name: 'stop-before-start-restarts',
    description: 'As the happy path, on a service configured minimumHealthyPercent 0 / maximumPercent 100: each restart stops the task before starting the new one.',
    input,
    world: { ...usual, minimumHealthyPercent: 0, maximumPercent: 100 },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
  },
  {
    name: 'already-up-to-date',
    description: 'The schema is current: no approval is asked, the service still moves to the new image; snapshot, upgrade and the second restart are skipped.',
    input,
    world: { ...usual, schemaVersion: NEW_SCHEMA, runningImage: `${IMAGE}:v2.5.1` },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
  },
  {
    name: 'pinned-image-moved',
    description: 'The task definition pins v2.2.4; the input names v2.5.1, so a new revision is registered before the restart.',
    input: { ...input, targetImage: `${IMAGE}:v2.5.1` },
    world: { ...usual, taskDefinitionImage: `${IMAGE}:v2.2.4` },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
  },
  // The 2.5.1 image starts 2.5.1 on any 2.x schema, so the restart after the upgrade changes
  // nothing there; an image that keeps older builds starts the one its schema maps to, and only a
  // real second restart (a new deployment, ForceNewDeployment) brings up its own release.
  {
    name: 'new-image-keeps-older-builds',
    description: 'The input names v2.4.0, an image that starts 2.2.4 on the old schema: after the upgrade only the second restart brings up 2.4.0.',
    input: { ...input, targetImage: `${IMAGE}:v2.4.0` },
    world: { ...usual, taskDefinitionImage: `${IMAGE}:v2.2.4` },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.4.0' },
    fixtures: ['example'],
  },
  {
    name: 'upgrade-returns-500',
    description: 'PATCH /upgrade answers 500 after applying one migration: the database is restored from the snapshot.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'restore-beside-other-databases',
    description:
      "PATCH /upgrade answers 500 in an account with two other instances (on Aurora, two other clusters), listed before the Metaflow database, and the restored database's settings take RDS half an hour to apply (longer than the rename aside and the rename's retries), a cluster's rename a quarter of an hour (AWS promises no duration for either): the restore reads and changes only its own instances, waiting for each; the others are left exactly as they were.",
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, otherDbInstances: ['analytics-db', 'billing-db'], otherDbClusters: ['analytics', 'billing'], rdsDurations: { modify: 1800, clusterRename: 900 } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'restart-answer-without-deployments',
    description: "UpdateService's answer to the restart for the migration leaves out the deployments (every member of an AWS answer is optional): stopped at once, nothing upgraded, the service rolled back.",
    input,
    // UpdateService calls: 1 scales to one task, 2 restarts for the migration.
    world: { ...usual, updateServiceAnswersWithoutDeployments: [2] },
    expect: { status: 'FAILED', error: 'RestartNotConfirmed', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'rollback-restart-answer-without-deployments',
    description: "The upgrade fails, and UpdateService's answer to the rollback's restart leaves out the deployments: the rollback asks the service for its PRIMARY deployment and finishes.",
    input,
    // UpdateService calls: 1 scales to one task, 2 restarts for the migration, 3 restarts on the original release.
    world: { ...usual, behaviour: { upgrade: 'fail' }, updateServiceAnswersWithoutDeployments: [3] },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'restart-answer-lists-old-deployment-first',
    description: "UpdateService's answer to the restart for the migration lists the deployment it replaces first (the API gives the list no order): the runbook does not guess which one to wait for; stopped at once, nothing upgraded, the service rolled back.",
    input,
    world: { ...usual, updateServiceListsPrimaryLast: [2] },
    expect: { status: 'FAILED', error: 'RestartNotConfirmed', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'rollback-restart-answer-lists-old-deployment-first',
    description: "The upgrade fails, and UpdateService's answer to the rollback's restart lists the deployment it replaces first: the rollback asks the service for its PRIMARY deployment and finishes.",
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, updateServiceListsPrimaryLast: [3] },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'restart-answers-list-only-the-new-deployment',
    description: "UpdateService's answers to both restarts list only the new PRIMARY deployment, not the one it replaces (the API promises no particular list): the runbook waits for the PRIMARY it was given and completes.",
    input,
    // UpdateService calls: 1 scales to one task, 2 restarts for the migration, 3 restarts on the new schema.
    world: { ...usual, updateServiceListsOnlyPrimary: [2, 3] },
    expect: UPGRADED,
  },
  {
    name: 'rollback-restart-answer-lists-only-the-new-deployment',
    description: "The upgrade fails, and UpdateService's answer to the rollback's restart lists only the new PRIMARY deployment: the rollback waits for it and finishes.",
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, updateServiceListsOnlyPrimary: [3] },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'upgrade-times-out-but-succeeded',
    description: 'The upgrade answer is lost; goose finishes; polling the status settles it as done.',
    input,
    world: { ...usual, behaviour: { upgrade: 'hang-succeed' } },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
  },
  {
    name: 'upgrade-times-out-and-failed',
    description: 'The upgrade answer is lost; goose stops half-way; the status settles it as failed and the database is restored.',
    input,
    world: { ...usual, behaviour: { upgrade: 'hang-fail' } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'upgrade-answer-lost-task-gone',
    description: 'The upgrade answer is lost and the task exits (ECS replaces it): its address refuses connections for good; the wait for the outcome gives up at its bound and the database is restored.',
    input,
    world: { ...usual, behaviour: { upgrade: 'crash' } },
    expect: { status: 'FAILED', error: 'UpgradeOutcomeUnknown', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'verify-not-up-to-date',
    description: 'The upgrade claims success but a migration is left: verification fails and the database is restored.',
    input,
    // On gp2 storage: the restore goes without provisioned IOPS.
    world: { ...usual, behaviour: { upgrade: 'claim-success' }, dbSettings: { StorageType: 'gp2', Iops: undefined } },
    expect: { status: 'FAILED', error: 'SchemaNotUpToDate', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'version-too-old',
    description: 'A pinned 2.0.1 image on the oldest schema: nothing to upgrade, but /version is below 2.0.2; the service is rolled back, the database kept.',
    input,
    world: { ...usual, schemaVersion: '1', taskDefinitionImage: `${IMAGE}:v2.0.1`, runningImage: `${IMAGE}:v2.0.1` },
    expect: { status: 'FAILED', error: 'VersionTooOld', databaseRestored: false, finalSchema: '1', finalServiceVersion: '2.0.1' },
  },
  {
    name: 'new-task-never-healthy',
    description: 'The target image runs on its own (the plan is read) but its tasks never become healthy in the service: the restart never rolls out, the wait gives up, the service goes back to its original release.',
    input: { ...input, targetImage: `${IMAGE}:v2.5.1-unhealthy` },
    world: { ...usual, unhealthyInServiceImages: [`${IMAGE}:v2.5.1-unhealthy`] },
    expect: { status: 'FAILED', error: 'NewTaskNotHealthyInTime', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'plan-task-crashes',
    description: 'The target image exits at start: the task started to read the plan stops; nothing was changed.',
    input: { ...input, targetImage: `${IMAGE}:v2.5.1-crashloop` },
    world: { ...usual, crashingImages: [`${IMAGE}:v2.5.1-crashloop`] },
    expect: { status: 'FAILED', error: 'TaskStopped', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'plan-task-cannot-start',
    description: 'ECS has no capacity for the task that would read the plan (RunTask answers with failures): nothing was changed.',
    input,
    world: { ...usual, runTaskFailure: 'RESOURCE:ENI' },
    expect: { status: 'FAILED', error: 'PlanTaskNotStarted', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'plan-task-never-answers',
    description: "The plan task runs but its migration service never answers: the wait gives up at its bound, the task is stopped, nothing was changed.",
    input: { ...input, targetImage: `${IMAGE}:v2.5.1-silent` },
    world: { ...usual, silentImages: [`${IMAGE}:v2.5.1-silent`] },
    expect: { status: 'FAILED', error: 'MigrationServiceUnavailable', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'tag-moved-after-approval',
    description: 'While the approver thinks, the latest tag is pushed again: the restart brings another digest than the approved one; stopped before the snapshot, the service rolled back, the database untouched.',
    input,
    world: { ...usual, tagMovesAfterApproval: `${IMAGE}:v2.5.1-rebuilt` },
    expect: { status: 'FAILED', error: 'PlanChanged', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'schema-moved-after-approval',
    description: 'While the approver thinks, someone else applies one of the two migrations: the new task lists another plan than the approved one; stopped before the snapshot, the service rolled back, the database left as the other migration left it.',
    input,
    world: { ...usual, schemaMovesAfterApproval: HALF_UPGRADED },
    expect: { status: 'FAILED', error: 'PlanChanged', databaseRestored: false, finalSchema: HALF_UPGRADED, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'snapshot-fails',
    description: 'The snapshot ends failed: nothing else has changed; the service is put back as it was.',
    input,
    world: { ...usual, rds: { snapshotFails: true } },
    expect: { status: 'FAILED', error: 'SnapshotFailed', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'restore-fails',
    description: 'The upgrade fails and the snapshot, restored beside the original, ends incompatible-restore: the original was never touched and serves; the rollback stops and names both instances.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, rds: { restoreFails: true } },
    expect: { status: 'FAILED', error: 'RollbackFailed', databaseRestored: false, finalSchema: HALF_UPGRADED, databaseServing: true },
  },
  {
    name: 'swap-rename-aside-refused',
    description: 'The snapshot is restored beside the original, but RDS refuses to rename the original aside: nothing was swapped, the original serves; the rollback stops and names both instances.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, rds: { renameRefused: 'original' } },
    expect: { status: 'FAILED', error: 'RollbackFailed', databaseRestored: false, finalSchema: HALF_UPGRADED, databaseServing: true },
  },
  {
    name: 'swap-takeover-refused',
    description:
      'The original is renamed aside, then RDS refuses the restored instance the original identifier: the original is renamed back and serves again; the rollback stops and says so. The account holds another instance, listed first, that a read of "the original" must not mistake for it.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, rds: { renameRefused: 'restored' }, otherDbInstances: ['analytics-db'], otherDbClusters: ['analytics'] },
    expect: { status: 'FAILED', error: 'RollbackFailed', databaseRestored: false, finalSchema: HALF_UPGRADED, databaseServing: true },
  },
  {
    name: 'swap-restored-instance-rename-refused',
    description:
      'RDS refuses to rename an instance restored from the snapshot: on an Aurora cluster, after the restored cluster took the original identifier, the swap is undone (instances, then clusters) and the original serves again; on an RDS instance, as swap-takeover-refused. The rollback stops and says so.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, rds: { renameRefused: 'restored-instance' }, otherDbInstances: ['analytics-db'], otherDbClusters: ['analytics'] },
    expect: { status: 'FAILED', error: 'RollbackFailed', databaseRestored: false, finalSchema: HALF_UPGRADED, databaseServing: true },
  },
  {
    name: 'large-database-restore',
    description: 'As upgrade-returns-500, on a large database (a snapshot of twenty minutes, a restore of an hour): the database is unreachable only during the two renames.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, rdsDurations: { snapshot: 1200, restore: 3600 } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
  },
  {
    name: 'schema-unknown-to-image',
    description: 'The database is newer than the pinned image knows: the plan, read from that image, is refused before anything changes.',
    input,
    world: { ...usual, schemaVersion: NEW_SCHEMA, taskDefinitionImage: `${IMAGE}:v2.2.4`, runningImage: `${IMAGE}:v2.5.1` },
    expect: { status: 'FAILED', error: 'SchemaVersionUnknown', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1', untouched: true },
  },
  {
    name: 'database-ssl-misconfigured',
    description: 'The migration service cannot reach the database (SSL): a configuration problem, found as the plan is read, before anything changes.',
    input,
    world: { ...usual, behaviour: { sslMisconfigured: true } },
    expect: { status: 'FAILED', error: 'DatabaseConnectionMisconfigured', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'database-briefly-unreachable',
    description: 'The instance reboots (a failover) as the schema status is first read: connections are refused for a minute, which is waited out like a service still starting.',
    input,
    world: { ...usual, databaseRebootSeconds: 60 },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
  },
  {
    name: 'migration-service-starts-slowly',
    description: 'Each new task answers on 8082 only 45 s after it runs (the migration service takes time to start): the runbook waits for it to answer before it asks anything, and the change goes through.',
    input,
    world: { ...usual, migrationServiceStartSeconds: 45 },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1' },
    fixtures: ['example', 'terraform-aurora'],
  },
  {
    name: 'database-not-available',
    description: 'The instance is being modified: preflight refuses to start and nothing is changed.',
    input,
    world: { ...usual, dbStatus: 'modifying' },
    expect: { status: 'FAILED', error: 'PreflightFailed', databaseRestored: false, finalSchema: OLD_SCHEMA },
  },
  {
    name: 'approval-rejected',
    description: 'The approver rejects the plan at the gate, before anything changed: the run ends there, nothing to undo.',
    input,
    world: { ...usual, approval: 'reject' },
    expect: {
      ...NOTHING_CHANGED,
      error: 'ChangeRejected',
      answeredBy: { id: PEOPLE.approver.arn, verified: true },
      attempts: [200],
    },
  },
  {
    name: 'approval-timed-out',
    description: 'Nobody answers within the approval timeout (four hours in the example config): ApprovalTimedOut, nothing was changed.',
    input,
    world: { ...usual, approval: 'timeout' },
    expect: { status: 'FAILED', error: 'ApprovalTimedOut', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'verified-requester-and-approver',
    description:
      "Started through the runbook's endpoint by an operator (a signed request: her role session is the requester, verified); someone IAM lets call the endpoint but who is no approver is refused and the execution keeps waiting; a member of the approvers' role approves, verified.",
    input,
    world: { ...usual, startedBy: 'requester', approvals: [{ by: 'outsider', decision: 'approve' }, { by: 'approver-role', decision: 'approve' }] },
    settings: WITH_APPROVERS,
    expect: {
      ...UPGRADED,
      requester: { id: PEOPLE.requester.arn, verified: true },
      answeredBy: { id: PEOPLE['approver-role'].arn, verified: true },
      attempts: [403, 200],
    },
  },
  {
    name: 'self-approval-refused',
    description: 'A member of the approvers\' role starts the change through the endpoint and tries to approve it himself: refused (allowSelfApproval is false); nobody else answers, so the approval times out and nothing is changed.',
    input,
    world: { ...usual, startedBy: 'approver-role', approvals: [{ by: 'approver-role', decision: 'approve' }] },
    settings: WITH_APPROVERS,
    expect: {
      ...NOTHING_CHANGED,
      error: 'ApprovalTimedOut',
      requester: { id: PEOPLE['approver-role'].arn, verified: true },
      attempts: [403],
    },
  },
  {
    name: 'approver-not-in-list-refused',
    description: 'Approvers are configured; someone IAM lets call the endpoint, but who is not one of them, approves: refused, the execution keeps waiting; nobody else answers and nothing is changed.',
    input,
    world: { ...usual, startedBy: 'requester', approvals: [{ by: 'outsider', decision: 'approve' }] },
    settings: WITH_APPROVERS,
    expect: { ...NOTHING_CHANGED, error: 'ApprovalTimedOut', attempts: [403] },
  },
  {
    name: 'unsigned-approval-refused',
    description: 'The approve endpoint is called without a signature, then with a signature made with a wrong secret: the function URL refuses both (403) before the function runs; nobody else answers and nothing is changed.',
    input,
    world: { ...usual, approvals: [{ by: 'approver', decision: 'approve', via: 'unsigned' }, { by: 'approver', decision: 'approve', via: 'forged' }] },
    expect: { ...NOTHING_CHANGED, error: 'ApprovalTimedOut', attempts: [403, 403] },
  },
  {
    name: 'plain-approval-refused',
    description: 'Approvers are configured; an approver answers with the plain aws stepfunctions send-task-success payload: Step Functions takes it, but it carries no attestation of the endpoint, so the runbook refuses it (ApproverNotVerified) and changes nothing.',
    input,
    world: { ...usual, startedBy: 'requester', approvals: [{ by: 'approver', decision: 'approve', via: 'plain' }] },
    settings: WITH_APPROVERS,
    expect: {
      ...NOTHING_CHANGED,
      error: 'ApproverNotVerified',
      requester: { id: PEOPLE.requester.arn, verified: true },
      attempts: [200],
    },
  },
  {
    name: 'plain-approval-without-approvers',
    description: 'No approvers are configured; the approver answers with the plain send-task-success payload: accepted, and the audit record says the approval is not verified.',
    input,
    world: { ...usual, approvals: [{ by: 'approver', decision: 'approve', via: 'plain' }] },
    settings: WITHOUT_APPROVERS,
    expect: {
      ...UPGRADED,
      requester: { id: 'jane.doe@example.com', verified: false },
      answeredBy: { id: null, verified: false },
      attempts: [200],
    },
  },
  {
    name: 'forged-requester-attestation',
    description: "Started in the console with an attestation that the runbook's endpoint never made (a requester that would look verified): refused by field name before any AWS call of the change.",
    input: { ...input, requestedBy: PEOPLE.approver.arn, attestation: { issuedAt: '2026-11-24T09:00:00.000Z', mac: `${'A'.repeat(43)}=` } },
    world: usual,
    expect: { status: 'FAILED', error: 'RequesterNotVerified', databaseRestored: false, finalSchema: OLD_SCHEMA, noAwsCall: true },
  },
  {
    name: 'dry-run',
    description: 'dryRun: preflight, the plan read from a task of the image the restart would deploy, and the report; nothing is changed.',
    input: { ...input, dryRun: true },
    world: usual,
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', untouched: true },
  },
  {
    name: 'dry-run-already-up-to-date',
    description: 'dryRun on a schema that is already current: the plan says there is nothing to upgrade, and lists no upgrade step.',
    input: { ...input, dryRun: true },
    world: { ...usual, schemaVersion: NEW_SCHEMA, runningImage: `${IMAGE}:v2.5.1` },
    expect: { status: 'SUCCEEDED', databaseRestored: false, finalSchema: NEW_SCHEMA, finalServiceVersion: '2.5.1', untouched: true },
    // The plan's branch is the same Pass on every deployment: one fixture of each kind, as the mutation run judges each.
    fixtures: ['example', 'terraform-aurora'],
  },
  {
    name: 'second-execution-refused',
    description: 'Another execution of the runbook is running: refused at once, naming it, before any change.',
    input,
    world: { ...usual, otherRunningExecution: 'CHG-1200-20261124T080000Z' },
    expect: { status: 'FAILED', error: 'AnotherExecutionRunning', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', readOnly: true },
  },
  {
    name: 'second-execution-refused-before-this-one-is-listed',
    description: 'Another execution is running and ListExecutions, eventually consistent, does not list this one yet: one execution listed that is not this one is refused too.',
    input,
    world: { ...usual, otherRunningExecution: 'CHG-1200-20261124T080000Z', notYetListed: true },
    expect: { status: 'FAILED', error: 'AnotherExecutionRunning', databaseRestored: false, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4', readOnly: true },
    // The check is the same states on every deployment: one fixture of each kind, as the mutation run judges each.
    fixtures: ['example', 'terraform-aurora'],
  },
  {
    name: 'invalid-input',
    description: 'A change id with a space, a requester with a space and an unknown field: every one named at once, before any AWS call.',
    input: { changeId: 'CHG 12', requestedBy: 'Jane Doe', dryrun: true },
    world: usual,
    expect: {
      status: 'FAILED',
      error: 'InvalidExecutionInput',
      databaseRestored: false,
      finalSchema: OLD_SCHEMA,
      noAwsCall: true,
      causeMentions: ['3 problems', 'dryrun: unknown field', 'changeId: expected', 'requestedBy: expected'],
    },
  },
  // The rollback's task lookup on a service of one task (the example deployment runs two).
  {
    name: 'rollback-on-one-task',
    description: 'As upgrade-returns-500 on a service of one task: the rollback finds and checks that task.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, desiredCount: 1 },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
    fixtures: ['example'],
  },
  // With the approval gate off the upgrade is sent with no approval at all: every other restoring
  // scenario was approved too, so a restore decided by the approval instead of by "the upgrade was
  // sent" went unseen (issue 12).
  {
    name: 'approval-off-upgrade-returns-500',
    description: 'As upgrade-returns-500 with approval.required false: the upgrade was sent without any approval, and the database is restored.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' } },
    settings: { approval: { required: false } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
    // The two kinds of database: the decision is made in each kind's rollback.
    fixtures: ['example', 'terraform-aurora'],
  },
  // An instance whose settings all differ from what a restore defaults to: a restore that leaves one out is seen.
  {
    name: 'restore-keeps-non-default-settings',
    description: 'As upgrade-returns-500 on an instance on port 5433, publicly accessible: the restored instance has them all.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, dbSettings: NON_DEFAULT_SETTINGS },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
    fixtures: ['example'],
  },
  {
    name: 'restore-keeps-non-default-settings-without-iops',
    description: 'The same on magnetic storage without provisioned IOPS: the restore without Iops still passes the storage type and every other setting.',
    input,
    world: { ...usual, behaviour: { upgrade: 'fail' }, dbSettings: { ...NON_DEFAULT_SETTINGS, StorageType: 'standard', Iops: undefined } },
    expect: { status: 'FAILED', error: 'UpgradeFailed', databaseRestored: true, finalSchema: OLD_SCHEMA, finalServiceVersion: '2.2.4' },
    fixtures: ['example'],
  },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
