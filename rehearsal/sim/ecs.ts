import { createHash } from 'node:crypto';
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import type { VirtualClock } from '../clock';
import { AwsError, DURATIONS } from './aws-error';

export interface SimTask {
  readonly arn: string;
  readonly deploymentId: string;
  readonly taskDefinitionArn: string;
  /** The image as the task definition names it (a tag). */
  readonly image: string;
  /** What the tag resolved to when the task's deployment was created: the image it really runs. */
  resolvedImage: string;
  /** Why it stopped, once it did. */
  stoppedReason?: string;
  readonly ip: string;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  readonly createdAt: number;
  /** The tags RunTask was given (a service's tasks get none here: the runbook tags none of them). */
  readonly tags?: readonly { readonly Key: string; readonly Value: string }[];
}

interface Deployment {
  readonly id: string;
  readonly taskDefinition: string;
  readonly createdAt: number;
}

/** Starts and stops what runs inside a task; the deployment wires the Metaflow containers in. */
export interface TaskRuntime {
  start(task: SimTask): Promise<void>;
  stop(task: SimTask): Promise<void>;
  /** A task whose essential container exits at start (a crash-looping image). */
  crashes(task: SimTask): boolean;
  /** What an image reference resolves to now (a tag may have been pushed again since). */
  resolve(image: string): string;
}

interface Timed {
  at: number;
  run: () => Promise<void> | void;
}

/**
 * One ECS service on Fargate, reconciled like ECS does it: a new deployment starts tasks up to the
 * desired count (within maximumPercent), old tasks stop only while minimumHealthyPercent still holds,
 * and a deployment disappears once its last task stopped. Task starts and stops take virtual time.
 */
export class SimulatedEcs {
  /** The service's tasks. */
  readonly tasks: SimTask[] = [];
  /** Tasks started with RunTask, outside the service: the service neither counts nor replaces them. */
  readonly standalone: SimTask[] = [];
  /** RunTask finds no capacity (the Failures ECS answers with instead of a task). */
  runTaskFailure: string | undefined;
  /**
   * The UpdateService calls (1 for the first) whose answer leaves out the service's deployments:
   * every member of an AWS answer is optional in the API model, and the runbook must not depend on one.
   */
  answersWithoutDeployments: readonly number[] = [];
  /**
   * The UpdateService calls whose answer lists the deployment being replaced before the PRIMARY one:
   * the API reference gives `deployments` no order ("The current state of deployments for the service").
   */
  answersPrimaryLast: readonly number[] = [];
  /**
   * The UpdateService calls whose answer lists only the new PRIMARY deployment, not the one it
   * replaces: the API promises no particular list, and the runbook needs only the PRIMARY.
   */
  answersPrimaryOnly: readonly number[] = [];
  private updateServiceCalls = 0;
  readonly taskDefinitions = new Map<string, { definition: TaskDefinition; tags: { key?: string; value?: string }[] }>();
  readonly cluster: string;
  readonly serviceName: string;
  desiredCount: number;
  deployments: Deployment[] = [];
  status: 'ACTIVE' | 'DRAINING' = 'ACTIVE';
  /** (time, number of RUNNING tasks) each time it changes: downtime is where it is 0. */
  readonly runningTimeline: { at: number; running: number }[] = [];
  private timed: Timed[] = [];
  private seq = 0;
  private readonly minimumHealthyPercent: number;
  private readonly maximumPercent: number;

  constructor(
    private readonly clock: VirtualClock,
    private readonly runtime: TaskRuntime,
    private readonly ipFor: (n: number) => string,
    private readonly record: (kind: string, start: number, end: number) => void,
    opts: {
      cluster: string;
      service: string;
      container: string;
      desiredCount: number;
      minimumHealthyPercent?: number;
      maximumPercent?: number;
      /** The service's awsvpc network configuration, as DescribeServices reports it. */
      network: { subnets: readonly string[]; securityGroups: readonly string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
    },
    readonly region = 'eu-west-1',
    readonly account = '123456789012',
  ) {
    this.cluster = opts.cluster;
    this.serviceName = opts.service;
    this.desiredCount = opts.desiredCount;
    this.containerName = opts.container;
    // ECS's defaults for a rolling-update service.
    this.minimumHealthyPercent = opts.minimumHealthyPercent ?? 100;
    this.maximumPercent = opts.maximumPercent ?? 200;
    this.network = opts.network;
  }

  private readonly network: { subnets: readonly string[]; securityGroups: readonly string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };

  private readonly containerName: string;

  registerTaskDefinition(input: RegisterTaskDefinitionCommandInput): TaskDefinition {
    const family = input.family ?? 'unnamed';
    const revision = [...this.taskDefinitions.values()].filter((t) => t.definition.family === family).length + 1;
    const arn = `arn:aws:ecs:${this.region}:${this.account}:task-definition/${family}:${revision}`;
    const { tags, ...rest } = input;
    const definition: TaskDefinition = { ...rest, taskDefinitionArn: arn, revision, status: 'ACTIVE' };
    this.taskDefinitions.set(arn, { definition, tags: tags ?? [] });
    return definition;
  }

  findTaskDefinition(ref: string): { taskDefinition: TaskDefinition; tags: { key?: string; value?: string }[] } {
    const found = this.taskDefinitions.get(ref) ?? [...this.taskDefinitions.values()].find((t) => `${t.definition.family}:${t.definition.revision}` === ref);
    if (!found) throw new AwsError('Ecs.ClientException', `Unable to describe task definition ${ref}.`);
    return { taskDefinition: found.definition, tags: found.tags };
  }

  /** Starts the service as it runs before the change: one steady deployment. */
  async boot(taskDefinition: string, beforeStart: (task: SimTask) => void = () => {}): Promise<void> {
    this.deployments = [{ id: this.nextId('ecs-svc'), taskDefinition, createdAt: this.clock.now }];
    for (let i = 0; i < this.desiredCount; i++) {
      const task = this.newTask(this.deployments[0] as Deployment);
      beforeStart(task);
      task.lastStatus = 'RUNNING';
      await this.runtime.start(task);
    }
    this.recordRunning();
  }

  /** Applies everything due by `now`, in time order, reconciling after each change. */
  async advanceTo(now: number): Promise<void> {
    for (;;) {
      this.timed.sort((a, b) => a.at - b.at);
      const next = this.timed[0];
      if (!next || next.at > now) break;
      this.timed.shift();
      await next.run();
      await this.reconcile(next.at);
    }
    await this.reconcile(now);
  }

  /** A task whose essential container exited: it stops, and the service starts a replacement. */
  taskExited(arn: string): void {
    const task = this.tasks.find((t) => t.arn === arn);
    if (!task) return;
    task.desiredStatus = 'STOPPED';
    task.lastStatus = 'STOPPED';
    task.stoppedReason = 'Essential container in task exited';
  }

  updateService(p: Record<string, unknown>): unknown {
    this.checkNames(p.Cluster, p.Service);
    if (typeof p.DesiredCount === 'number') this.desiredCount = p.DesiredCount;
    const primary = this.deployments[0] as Deployment;
    let taskDefinition = primary.taskDefinition;
    if (typeof p.TaskDefinition === 'string') {
      taskDefinition = this.findTaskDefinition(p.TaskDefinition).taskDefinition.taskDefinitionArn as string;
    }
    if (p.ForceNewDeployment === true || taskDefinition !== primary.taskDefinition) {
      this.deployments.unshift({ id: this.nextId('ecs-svc'), taskDefinition, createdAt: this.clock.now });
    }
    const service = this.describeService();
    const call = ++this.updateServiceCalls;
    if (this.answersPrimaryLast.includes(call)) service.Deployments = [...(service.Deployments as unknown[])].reverse();
    if (this.answersPrimaryOnly.includes(call)) service.Deployments = (service.Deployments as unknown[]).slice(0, 1);
    if (this.answersWithoutDeployments.includes(call)) delete service.Deployments;
    return { Service: service };
  }

  describeServices(p: Record<string, unknown>): unknown {
    if (p.Cluster !== this.cluster) throw new AwsError('Ecs.ClusterNotFoundException', 'Cluster not found.');
    const names = (p.Services ?? []) as string[];
    const found = names.includes(this.serviceName);
    return {
      Services: found ? [this.describeService()] : [],
      Failures: names.filter((n) => n !== this.serviceName).map((n) => ({ Arn: n, Reason: 'MISSING' })),
    };
  }

  listTasks(p: Record<string, unknown>): unknown {
    this.checkNames(p.Cluster, p.ServiceName);
    const desired = (p.DesiredStatus as string | undefined) ?? 'RUNNING';
    return { TaskArns: this.tasks.filter((t) => t.desiredStatus === desired).map((t) => t.arn) };
  }

  describeTasks(p: Record<string, unknown>): { Tasks: Record<string, unknown>[]; Failures: { Arn: string; Reason: string }[] } {
    if (p.Cluster !== this.cluster) throw new AwsError('Ecs.ClusterNotFoundException', 'Cluster not found.');
    const arns = (p.Tasks ?? []) as string[];
    if (arns.length === 0) throw new AwsError('Ecs.InvalidParameterException', 'Tasks cannot be empty.');
    const found = [...this.tasks, ...this.standalone].filter((t) => arns.includes(t.arn));
    return {
      Tasks: found.map((t) => {
        // A task still provisioning has no network interface details, no container address and no
        // digest yet (shared/facts/aws-behaviour.md): answers leave those fields out.
        const running = t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPING';
        return {
          TaskArn: t.arn,
          ClusterArn: `arn:aws:ecs:${this.region}:${this.account}:cluster/${this.cluster}`,
          LastStatus: t.lastStatus,
          DesiredStatus: t.desiredStatus,
          TaskDefinitionArn: t.taskDefinitionArn,
          ...(t.deploymentId ? { StartedBy: t.deploymentId } : {}),
          LaunchType: 'FARGATE',
          ...(t.stoppedReason ? { StoppedReason: t.stoppedReason } : {}),
          Containers: [
            {
              Name: this.containerName,
              Image: t.image,
              LastStatus: t.lastStatus,
              ...(running ? { ImageDigest: imageDigest(t.resolvedImage), NetworkInterfaces: [{ AttachmentId: `eni-attach-${t.arn.slice(-8)}`, PrivateIpv4Address: t.ip }] } : {}),
            },
          ],
          Attachments: [
            {
              Id: `eni-attach-${t.arn.slice(-8)}`,
              Type: 'ElasticNetworkInterface',
              Status: running ? 'ATTACHED' : 'PRECREATED',
              Details: running ? [{ Name: 'subnetId', Value: 'subnet-0a1b2c3d4e5f60718' }, { Name: 'privateIPv4Address', Value: t.ip }] : [],
            },
          ],
        };
      }),
      Failures: arns.filter((a) => !found.some((t) => t.arn === a)).map((a) => ({ Arn: a, Reason: 'MISSING' })),
    };
  }

  /** A task outside the service, from a task definition (the plan's reading of the new image). */
  runTask(p: Record<string, unknown>): unknown {
    if (p.Cluster !== this.cluster) throw new AwsError('Ecs.ClusterNotFoundException', 'Cluster not found.');
    const definition = this.findTaskDefinition(String(p.TaskDefinition)).taskDefinition;
    if (p.LaunchType !== 'FARGATE') throw new AwsError('Ecs.InvalidParameterException', 'The service runs on Fargate: RunTask needs launchType FARGATE.');
    const vpc = (p.NetworkConfiguration as { AwsvpcConfiguration?: { Subnets?: string[] } } | undefined)?.AwsvpcConfiguration;
    if (!vpc?.Subnets?.length) throw new AwsError('Ecs.InvalidParameterException', 'Network Configuration must be provided when networkMode \'awsvpc\' is specified.');
    if (this.runTaskFailure) return { Tasks: [], Failures: [{ Arn: definition.taskDefinitionArn, Reason: this.runTaskFailure }] };
    // A standalone task's startedBy is what RunTask was given (a service's is its deployment id).
    const task = this.newTask({ id: typeof p.StartedBy === 'string' ? p.StartedBy : '', taskDefinition: definition.taskDefinitionArn as string, createdAt: this.clock.now }, this.standalone, runTaskTags(p.Tags));
    this.launchTask(task, this.clock.now);
    return { Tasks: this.describeTasks({ Cluster: this.cluster, Tasks: [task.arn] }).Tasks, Failures: [] };
  }

  /** StopTask: SIGTERM, then STOPPED a few seconds later; a service replaces its own, not a standalone one. */
  stopTask(p: Record<string, unknown>): unknown {
    if (p.Cluster !== this.cluster) throw new AwsError('Ecs.ClusterNotFoundException', 'Cluster not found.');
    const task = [...this.tasks, ...this.standalone].find((t) => t.arn === p.Task);
    if (!task) throw new AwsError('Ecs.InvalidParameterException', `The referenced task was not found: ${String(p.Task)}`);
    if (task.desiredStatus !== 'STOPPED') {
      task.stoppedReason = String(p.Reason ?? 'Task stopped by user');
      this.stopRunningTask(task, this.clock.now);
    }
    return { Task: this.describeTasks({ Cluster: this.cluster, Tasks: [task.arn] }).Tasks[0] };
  }

  /** The SDK integration's DescribeTaskDefinition: the same definition in Step Functions casing. */
  describeTaskDefinition(p: Record<string, unknown>): unknown {
    const { taskDefinition } = this.findTaskDefinition(String(p.TaskDefinition));
    return { TaskDefinition: pascalCase(taskDefinition) };
  }

  describeService(): Record<string, unknown> {
    const live = (d: Deployment) => this.tasks.filter((t) => t.deploymentId === d.id && t.desiredStatus === 'RUNNING');
    return {
      ServiceName: this.serviceName,
      ServiceArn: `arn:aws:ecs:${this.region}:${this.account}:service/${this.cluster}/${this.serviceName}`,
      Status: this.status,
      DesiredCount: this.desiredCount,
      RunningCount: this.tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      PendingCount: this.tasks.filter((t) => t.lastStatus === 'PROVISIONING').length,
      TaskDefinition: (this.deployments[0] as Deployment).taskDefinition,
      DeploymentConfiguration: { MinimumHealthyPercent: this.minimumHealthyPercent, MaximumPercent: this.maximumPercent },
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: { Subnets: [...this.network.subnets], SecurityGroups: [...this.network.securityGroups], AssignPublicIp: this.network.assignPublicIp },
      },
      Deployments: this.deployments.map((d, i) => ({
        Id: d.id,
        Status: i === 0 ? 'PRIMARY' : 'ACTIVE',
        TaskDefinition: d.taskDefinition,
        DesiredCount: i === 0 ? this.desiredCount : 0,
        RunningCount: live(d).filter((t) => t.lastStatus === 'RUNNING').length,
        RolloutState: i === 0 && this.deployments.length === 1 ? 'COMPLETED' : 'IN_PROGRESS',
      })),
    };
  }

  private async reconcile(at: number): Promise<void> {
    const primary = this.deployments[0] as Deployment;
    const live = () => this.tasks.filter((t) => t.desiredStatus === 'RUNNING');
    const primaryLive = live().filter((t) => t.deploymentId === primary.id);
    if (primaryLive.length < this.desiredCount) {
      const room = Math.floor((this.desiredCount * this.maximumPercent) / 100) - live().length;
      for (let i = 0; i < Math.min(this.desiredCount - primaryLive.length, room); i++) this.launch(primary, at);
    } else if (primaryLive.length > this.desiredCount) {
      const extra = primaryLive.sort((a, b) => b.createdAt - a.createdAt).slice(0, primaryLive.length - this.desiredCount);
      for (const t of extra) this.stopRunningTask(t, at);
    }
    const minimumHealthy = Math.ceil((this.desiredCount * this.minimumHealthyPercent) / 100);
    for (const old of live().filter((t) => t.deploymentId !== primary.id)) {
      const running = live().filter((t) => t.lastStatus === 'RUNNING').length;
      if (old.lastStatus !== 'RUNNING' || running - 1 >= minimumHealthy) this.stopRunningTask(old, at);
    }
    this.deployments = this.deployments.filter(
      (d, i) => i === 0 || this.tasks.some((t) => t.deploymentId === d.id && t.lastStatus !== 'STOPPED'),
    );
    this.recordRunning(at);
  }

  private launch(deployment: Deployment, at: number): void {
    this.launchTask(this.newTask(deployment), at);
  }

  /** Provisioning, then the container starts a task start's time later (or exits at once, if its image crashes). */
  private launchTask(task: SimTask, at: number): void {
    this.record('task start', at, at + DURATIONS.taskStart * 1000);
    this.timed.push({
      at: at + DURATIONS.taskStart * 1000,
      run: async () => {
        if (task.desiredStatus !== 'RUNNING') return;
        if (this.runtime.crashes(task)) {
          task.desiredStatus = 'STOPPED';
          task.lastStatus = 'STOPPED';
          task.stoppedReason = 'Essential container in task exited';
          return;
        }
        task.lastStatus = 'RUNNING';
        await this.runtime.start(task);
      },
    });
  }

  private stopRunningTask(task: SimTask, at: number): void {
    task.desiredStatus = 'STOPPED';
    const wasRunning = task.lastStatus === 'RUNNING';
    task.lastStatus = wasRunning ? 'STOPPING' : 'STOPPED';
    if (!wasRunning) return;
    this.record('task stop', at, at + DURATIONS.taskStop * 1000);
    this.timed.push({ at, run: () => this.runtime.stop(task) });
    this.timed.push({ at: at + DURATIONS.taskStop * 1000, run: () => {
        task.lastStatus = 'STOPPED';
      } });
  }

  /** Whether a task belongs to the service (a standalone one, started with RunTask, does not). */
  isServiceTask(task: SimTask): boolean {
    return this.tasks.includes(task);
  }

  private newTask(deployment: Deployment, into: SimTask[] = this.tasks, tags?: SimTask['tags']): SimTask {
    const n = ++this.seq;
    const td = this.findTaskDefinition(deployment.taskDefinition).taskDefinition;
    const image = td.containerDefinitions?.find((c) => c.name === this.containerName)?.image ?? 'unknown';
    const task: SimTask = {
      arn: `arn:aws:ecs:${this.region}:${this.account}:task/${this.cluster}/${n.toString(16).padStart(32, '0')}`,
      deploymentId: deployment.id,
      taskDefinitionArn: deployment.taskDefinition,
      image,
      resolvedImage: this.runtime.resolve(image),
      ip: this.ipFor(n),
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: this.clock.now,
      ...(tags ? { tags } : {}),
    };
    into.push(task);
    return task;
  }

  private recordRunning(at = this.clock.now): void {
    const running = this.tasks.filter((t) => t.lastStatus === 'RUNNING').length;
    const last = this.runningTimeline.at(-1);
    if (!last || last.running !== running) this.runningTimeline.push({ at, running });
  }

  private checkNames(cluster: unknown, service: unknown): void {
    if (cluster !== this.cluster) throw new AwsError('Ecs.ClusterNotFoundException', `Cluster ${String(cluster)} not found.`);
    if (service !== this.serviceName) throw new AwsError('Ecs.ServiceNotFoundException', `Service ${String(service)} not found.`);
  }

  private nextId(prefix: string): string {
    return `${prefix}/${(++this.seq * 7919).toString(36).padStart(12, '0')}`;
  }
}

/** A stand-in for the digest a tag resolved to: the same image, the same digest. */
export function imageDigest(resolvedImage: string): string {
  return `sha256:${createHash('sha256').update(resolvedImage).digest('hex')}`;
}

/** Step Functions' SDK results name fields in Java SDK v2 casing: for ECS, the first letter capitalised. */
function pascalCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalCase);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascalCase(v)]));
  }
  return value;
}

/**
 * RunTask's tags, checked as ECS checks them (API reference, Tag: a key of 1-128 and a value of
 * 0-256 characters; RunTask: at most 50 tags per resource): a malformed list fails the whole call.
 */
function runTaskTags(tags: unknown): SimTask['tags'] {
  if (tags === undefined) return undefined;
  const bad = () => new AwsError('Ecs.InvalidParameterException', 'Tags: expected a list of at most 50 {Key, Value}, a Key of 1-128 and a Value of 0-256 characters.');
  if (!Array.isArray(tags) || tags.length > 50) throw bad();
  return tags.map((t: unknown) => {
    const { Key, Value } = (t ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128 || typeof Value !== 'string' || Value.length > 256) throw bad();
    return { Key, Value };
  });
}
