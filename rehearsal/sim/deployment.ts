import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import type { RunbookConfig } from '../../infra/config';
import type { VirtualClock } from '../clock';
import { ACCOUNT, type DeploymentFixture, isClusterFixture, REGION } from '../fixtures';
import { SimulatedEcs, type SimTask, imageDigest } from './ecs';
import { type ContainerBehaviour, type ContainerLedger, MetaflowContainer } from './metaflow-container';
import type { ApprovalAttempt } from './approvers';
import type { HmacKeySpec } from './kms';
import { SimulatedKms } from './kms';
import { SimulatedNotifications } from './notifications';
import type { PersonName } from './people';
import { SimulatedStepFunctions } from './stepfunctions';
import { loopbackRange, taskAddress } from './loopback';
import { RDS_DURATIONS, type RdsDurations, type RdsFaults, SimulatedRds } from './rds';

/** The state a scenario starts from and the faults it carries, on any deployment fixture. */
export interface World {
  /** Goose version of the database before the change. */
  readonly schemaVersion: string;
  /** The image the service's task definition names (a tag, possibly pinned). */
  readonly taskDefinitionImage: string;
  /** The image digest the running tasks were started with (ECS pins it per deployment). */
  readonly runningImage: string;
  /** The service's task count, when the scenario needs another than the fixture's. */
  readonly desiredCount?: number;
  readonly behaviour?: ContainerBehaviour;
  readonly rds?: RdsFaults;
  /** The database's status (an instance's, or an Aurora cluster's) when the change starts. */
  readonly dbStatus?: string;
  /** Overrides of a DB instance's settings (API casing), when the scenario needs them; an Aurora cluster's instances keep theirs. */
  readonly dbSettings?: Partial<DBInstance>;
  /** The service's deployment configuration, when the scenario needs another than the fixture's. */
  readonly minimumHealthyPercent?: number;
  readonly maximumPercent?: number;
  /** How the approvers answer, in short: the approver approves (by default), rejects, or nobody answers. */
  readonly approval?: 'approve' | 'reject' | 'timeout';
  /** Who tries to answer the approval, in turn, and how (instead of `approval`). */
  readonly approvals?: readonly ApprovalAttempt[];
  /** Started through the runbook's endpoint by this person; without it, as typed in the console. */
  readonly startedBy?: PersonName;
  /** Another execution of the runbook already running. */
  readonly otherRunningExecution?: string;
  /**
   * ListExecutions does not list the rehearsing execution yet. "This operation is eventually
   * consistent. The results are best effort and may not reflect very recent updates and changes."
   * (Step Functions API reference, ListExecutions: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html)
   */
  readonly notYetListed?: boolean;
  /** Images whose container exits at start, wherever it runs (the plan's task included). */
  readonly crashingImages?: readonly string[];
  /** Images whose tasks never become healthy in the service (its health checks), though they start on their own. */
  readonly unhealthyInServiceImages?: readonly string[];
  /** Images whose container never serves the migration service on 8082. */
  readonly silentImages?: readonly string[];
  /** RunTask finds no capacity: ECS answers with this failure reason and no task. */
  readonly runTaskFailure?: string;
  /** The UpdateService calls (1 for the first) whose answer leaves out the service's deployments. */
  readonly updateServiceAnswersWithoutDeployments?: readonly number[];
  /** The UpdateService calls whose answer lists the deployment being replaced first, the PRIMARY last. */
  readonly updateServiceListsPrimaryLast?: readonly number[];
  /** The UpdateService calls whose answer lists only the new PRIMARY deployment. */
  readonly updateServiceListsOnlyPrimary?: readonly number[];
  /** Once the approval is answered, the task definition's tag is pushed again: it resolves to this image. */
  readonly tagMovesAfterApproval?: string;
  /**
   * While the approver thinks, someone else migrates the database to this version (a second
   * metadata service deployment on the same database, or a migration by hand): the plan the
   * approver read is no longer what an upgrade would do.
   */
  readonly schemaMovesAfterApproval?: string;
  /**
   * Instances of the same account the runbook has nothing to do with, listed before its own:
   * DescribeDBInstances promises no order, so whatever the runbook reads must name its instance.
   */
  readonly otherDbInstances?: readonly string[];
  /**
   * Aurora clusters of the same account the runbook has nothing to do with, each with one writer
   * instance (<id>-0), listed before its own: DescribeDBClusters and DescribeDBInstances promise no
   * order either. Only on a cluster deployment.
   */
  readonly otherDbClusters?: readonly string[];
  /**
   * The instance reboots (a failover, a maintenance reboot) when the migration service is first
   * asked for the schema status: for `seconds` every connection to it is refused.
   */
  readonly databaseRebootSeconds?: number;
  /** How long RDS takes, when the scenario needs another than the usual (a large database). */
  readonly rdsDurations?: Partial<RdsDurations>;
  /** Seconds after its task is RUNNING before a container's migration service answers on 8082 (it refuses connections until then). */
  readonly migrationServiceStartSeconds?: number;
}

export { ACCOUNT, REGION };

/** Task addresses handed out in this process: with the process's own range, every task its own address. */
let addressSeq = 0;

/**
 * A Metaflow deployment in a box: the RDS instance with its database, the ECS service, and a real
 * Metaflow container (HTTP on loopback) for each running task. Durations follow the virtual clock.
 */
/** An image reference by digest: `repository@sha256:<64 hex>`. */
const DIGEST_REFERENCE = /@(sha256:[0-9a-f]{64})$/;

export class SimulatedDeployment {
  readonly rds: SimulatedRds;
  readonly ecs: SimulatedEcs;
  readonly sns: SimulatedNotifications;
  readonly sfn: SimulatedStepFunctions;
  readonly kms: SimulatedKms;
  /** The rehearsing execution's name, for ListExecutions. */
  executionName = 'rehearsal';
  readonly ledger: ContainerLedger = { patchRequests: 0, concurrentUpgrades: 0, maxConcurrentUpgrades: 0, killedDuringUpgrade: 0, migrationVersionRequests: 0 };
  private statusReads = 0;
  readonly originalTaskDefinition: string;
  /** The service's task count before the change: what every rollback must put back. */
  readonly originalDesiredCount: number;
  /** The instance as DescribeDBInstances showed it before the change (API casing), on an instance deployment. */
  readonly originalInstance: DBInstance | undefined;
  /** The cluster and its instances as RDS described them before the change, on an Aurora deployment. */
  readonly originalCluster: { readonly cluster: DBCluster; readonly instances: readonly DBInstance[] } | undefined;
  /** The database's identifier (an instance's or a cluster's) and the endpoint the service connects to, its MF_METADATA_DB_HOST. */
  readonly dbIdentifier: string;
  /** The account's other instances (World.otherDbInstances) as they were before the change. */
  readonly unrelatedInstances = new Map<string, DBInstance>();
  /** The account's other clusters (World.otherDbClusters) as they were before the change. */
  readonly unrelatedClusters = new Map<string, DBCluster>();
  readonly dbHost: string;
  /** AWS operations in progress over virtual time, to tell the runbook's own overhead from AWS's. */
  readonly operations: { kind: string; start: number; end: number }[] = [];
  private readonly containers = new Map<string, MetaflowContainer>();
  /** The metadata service version each task's container chose at start (kept after shutdown). */
  private readonly versions = new Map<string, string | null>();
  /** Tags pushed again during the rehearsal: image reference → what it resolves to now. */
  private readonly tagMoves = new Map<string, string>();
  /** Containers whose migration service starts later (World.migrationServiceStartSeconds), with when. */
  private readonly startingMigration: { at: number; container: MetaflowContainer }[] = [];
  /** This process's loopback range (see loopback.ts), known once booted. */
  private octet: number | undefined;

  constructor(
    readonly clock: VirtualClock,
    readonly fixture: DeploymentFixture,
    readonly config: RunbookConfig,
    readonly world: World,
    /** The account's HMAC KMS keys (the template's). */
    hmacKeys: readonly HmacKeySpec[] = [],
    /** Requests goose keeps waiting in the hang scenarios before it finishes. */
    gooseBusyRequests = 2,
  ) {
    const d = config.deployment;
    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${config.stackName}`;
    this.sfn = new SimulatedStepFunctions(clock, stateMachineArn, () => this.executionName, world.otherRunningExecution ? [world.otherRunningExecution] : [], world.notYetListed === true);
    this.kms = new SimulatedKms(hmacKeys);
    const db = { schemaVersion: world.schemaVersion, rows: 1000 };
    this.sns = new SimulatedNotifications(clock, this.sfn, () => {
      if (world.tagMovesAfterApproval) this.tagMoves.set(world.taskDefinitionImage, world.tagMovesAfterApproval);
      if (world.schemaMovesAfterApproval) db.schemaVersion = world.schemaMovesAfterApproval;
    });
    const record = (kind: string, start: number, end: number) => this.operations.push({ kind, start, end });
    const endpointLost = (host: string) => {
      if (host === this.dbHost) for (const c of this.containers.values()) c.databaseLost();
    };
    this.rds = new SimulatedRds(clock, world.rds ?? {}, record, endpointLost, fixture.account, { ...RDS_DURATIONS, ...world.rdsDurations }, REGION, ACCOUNT);
    if (isClusterFixture(fixture)) {
      const cluster = { ...fixture.dbCluster, ...(world.dbStatus ? { Status: world.dbStatus } : {}) };
      const added = this.rds.aurora.addCluster(cluster, db);
      // The instances share the cluster volume; what the cluster manages they report from it.
      const instances = fixture.clusterInstances.map((instance) => this.rds.aurora.described(this.rds.addInstance(instance, added.db)));
      this.originalCluster = { cluster: structuredClone(cluster), instances: structuredClone(instances) };
      this.originalInstance = undefined;
      this.dbIdentifier = cluster.DBClusterIdentifier as string;
      this.dbHost = cluster.Endpoint as string;
      const [writer] = fixture.clusterInstances;
      for (const id of [...(world.otherDbClusters ?? [])].reverse()) {
        const memberId = `${id}-0`;
        const other: DBCluster = {
          ...structuredClone(cluster),
          DBClusterIdentifier: id,
          DBClusterArn: this.rds.arn('cluster', id),
          DbClusterResourceId: `cluster-${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          ...this.rds.aurora.endpoints(id),
          DBClusterMembers: [{ DBInstanceIdentifier: memberId, IsClusterWriter: true, PromotionTier: 1, DBClusterParameterGroupStatus: 'in-sync' }],
          TagList: [{ Key: 'team', Value: 'analytics' }],
        };
        const member: DBInstance = {
          ...structuredClone(writer as DBInstance),
          DBInstanceIdentifier: memberId,
          DBClusterIdentifier: id,
          DBInstanceArn: this.rds.arn('db', memberId),
          DbiResourceId: `db-${memberId.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          Endpoint: this.rds.endpoint(memberId, Number(cluster.Port ?? 5432)),
          TagList: [{ Key: 'team', Value: 'analytics' }],
        };
        const otherDb = { schemaVersion: 'not a Metaflow database', rows: 10 };
        this.unrelatedClusters.set(id, structuredClone(other));
        this.unrelatedInstances.set(memberId, structuredClone(member));
        this.rds.clusters.unshift({ d: other, db: otherDb, timers: [] });
        this.rds.instances.unshift({ d: member, db: otherDb, timers: [] });
      }
    } else {
      this.originalInstance = { ...fixture.dbInstance, ...world.dbSettings, ...(world.dbStatus ? { DBInstanceStatus: world.dbStatus } : {}) };
      this.originalCluster = undefined;
      this.rds.addInstance(this.originalInstance, db);
      this.dbIdentifier = this.originalInstance.DBInstanceIdentifier as string;
      this.dbHost = this.originalInstance.Endpoint?.Address as string;
      const original = this.originalInstance;
      for (const id of [...(world.otherDbInstances ?? [])].reverse()) {
        const other: DBInstance = {
          ...structuredClone(original),
          DBInstanceIdentifier: id,
          DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
          DbiResourceId: `db-${id.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
          Endpoint: { ...original.Endpoint, Address: String(original.Endpoint?.Address).replace(this.dbIdentifier, id) },
          TagList: [{ Key: 'team', Value: 'analytics' }],
        };
        this.unrelatedInstances.set(id, structuredClone(other));
        this.rds.instances.unshift({ d: other, db: { schemaVersion: 'not a Metaflow database', rows: 10 }, timers: [] });
      }
    }
    this.rds.watched = this.dbHost;
    this.rds.observe(clock.now);
    this.originalDesiredCount = world.desiredCount ?? fixture.service.desiredCount;
    const runtime = {
      start: async (task: SimTask) => {
        const container = await MetaflowContainer.start({
          host: task.ip,
          migrationPort: d.migrationPort,
          servicePort: d.servicePort,
          image: task.resolvedImage,
          connect: () => this.rds.connectTo(this.dbHost),
          clock,
          behaviour: world.behaviour ?? {},
          ledger: this.ledger,
          gooseBusyRequests,
          record,
          silent: (world.silentImages ?? []).includes(task.image) || (world.migrationServiceStartSeconds ?? 0) > 0,
          onStatusRead: () => {
            if (this.statusReads++ === 0 && world.databaseRebootSeconds) this.rds.reboot(this.servingInstance(), world.databaseRebootSeconds);
          },
          exited: () => {
            void this.containers.get(task.arn)?.stop();
            this.containers.delete(task.arn);
            this.ecs.taskExited(task.arn);
          },
        });
        this.containers.set(task.arn, container);
        this.versions.set(task.arn, container.serviceVersion);
        if ((world.migrationServiceStartSeconds ?? 0) > 0 && !(world.silentImages ?? []).includes(task.image)) {
          this.startingMigration.push({ at: clock.now + (world.migrationServiceStartSeconds as number) * 1000, container });
        }
      },
      stop: async (task: SimTask) => {
        await this.containers.get(task.arn)?.stop();
        this.containers.delete(task.arn);
      },
      crashes: (task: SimTask) =>
        // A digest the registry does not hold cannot be pulled (CannotPullContainerError): the task stops.
        DIGEST_REFERENCE.test(task.resolvedImage) ||
        (world.crashingImages ?? []).includes(task.image) ||
        (this.ecs.isServiceTask(task) && (world.unhealthyInServiceImages ?? []).includes(task.image)),
      resolve: (image: string) => {
        // `repository@sha256:…` pulls exactly the image of that digest, wherever its tags point now.
        const digest = DIGEST_REFERENCE.exec(image)?.[1];
        if (digest) return this.publishedImages().find((i) => imageDigest(i) === digest) ?? image;
        return this.tagMoves.get(image) ?? image;
      },
    };
    const ipFor = () => {
      if (this.octet === undefined) throw new Error('the deployment has not booted: no loopback range yet');
      return taskAddress(this.octet, addressSeq++);
    };
    this.ecs = new SimulatedEcs(clock, runtime, ipFor, record, {
      cluster: d.clusterName,
      service: d.serviceName,
      container: d.containerName,
      desiredCount: this.originalDesiredCount,
      minimumHealthyPercent: world.minimumHealthyPercent ?? fixture.service.minimumHealthyPercent,
      maximumPercent: world.maximumPercent ?? fixture.service.maximumPercent,
      network: fixture.service,
    }, REGION, ACCOUNT);
    const dbHost = this.dbHost;
    this.originalTaskDefinition = this.ecs.registerTaskDefinition({
      family: fixture.service.family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      executionRoleArn: fixture.service.executionRoleArn,
      taskRoleArn: fixture.service.taskRoleArn,
      runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: d.containerName,
          image: world.taskDefinitionImage,
          essential: true,
          portMappings: [{ containerPort: d.servicePort }, { containerPort: d.migrationPort }],
          environment: Object.entries({ MF_METADATA_DB_HOST: dbHost, MF_METADATA_DB_PORT: '5432', ...fixture.service.environment }).map(([name, value]) => ({ name, value })),
        },
      ],
      tags: [{ key: 'team', value: 'ml-platform' }],
    }).taskDefinitionArn as string;
  }

  /** Every image the registry holds: what the tags resolved to before the change and since. */
  private publishedImages(): string[] {
    return [this.world.runningImage, this.world.taskDefinitionImage, ...this.tagMoves.values()];
  }

  /** The instance behind the service's endpoint: the instance itself, or the cluster's writer. */
  servingInstance(): string {
    const cluster = this.rds.aurora.find(this.dbIdentifier);
    return cluster ? (this.rds.aurora.writer(cluster)?.d.DBInstanceIdentifier as string) : this.dbIdentifier;
  }

  /**
   * The database under the configured identifier as the checks see it: whether it was restored
   * from the snapshot, whether it answers under the service's endpoint, and its schema.
   */
  database(): { restored: boolean; serving: boolean; schemaVersion: string | null } {
    const found = this.rds.aurora.find(this.dbIdentifier) ?? this.rds.find(this.dbIdentifier);
    return { restored: found?.createdFrom !== undefined, serving: this.rds.connectTo(this.dbHost) !== null, schemaVersion: found?.db.schemaVersion ?? null };
  }

  /** Boots the service's tasks on the image digest they were started with before the change. */
  async boot(): Promise<void> {
    this.octet = await loopbackRange();
    const before = this.ecs.tasks.length;
    this.ecs.runTaskFailure = this.world.runTaskFailure;
    this.ecs.answersWithoutDeployments = this.world.updateServiceAnswersWithoutDeployments ?? [];
    this.ecs.answersPrimaryLast = this.world.updateServiceListsPrimaryLast ?? [];
    this.ecs.answersPrimaryOnly = this.world.updateServiceListsOnlyPrimary ?? [];
    // The tasks running before the change run the image their deployment resolved then, whatever
    // the task definition's tag resolves to now (ECS pins a deployment to a digest).
    await this.ecs.boot(this.originalTaskDefinition, (task) => {
      task.resolvedImage = this.world.runningImage;
    });
    if (this.ecs.tasks.length - before !== this.originalDesiredCount) throw new Error('the simulated service did not boot');
    // Tasks running since before the change started their migration service long ago.
    for (const starting of this.startingMigration.splice(0)) await starting.container.serveMigration();
  }

  async advance(): Promise<void> {
    this.rds.advanceTo(this.clock.now);
    await this.ecs.advanceTo(this.clock.now);
    for (const starting of this.startingMigration.filter((s) => s.at <= this.clock.now)) {
      this.startingMigration.splice(this.startingMigration.indexOf(starting), 1);
      await starting.container.serveMigration();
    }
  }

  /** Stops every container: no server outlives the rehearsal. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.containers.values()].map((c) => c.stop()));
    this.containers.clear();
  }

  /** The metadata service version each running task answers with. */
  serviceVersions(): string[] {
    return this.ecs.tasks
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => this.versions.get(t.arn) ?? 'none');
  }
}
