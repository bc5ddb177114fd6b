import type { Task } from '@aws-sdk/client-ecs';
import { MoreThanOneTask, NoRunningTask, PlanChanged, TaskNotReady, TaskStopped } from '../lib/errors';

/** The two ECS reads this needs, so tests and the rehearsal can answer them. */
export interface TaskReader {
  list(cluster: string, serviceName: string): Promise<string[]>;
  describe(cluster: string, taskArns: string[]): Promise<Task[]>;
}

export interface LocateRequest {
  readonly cluster: string;
  readonly containerName: string;
  /** A task of this service (listed); or `taskArn`, one task known by its ARN (a standalone task). */
  readonly serviceName?: string;
  readonly taskArn?: string;
  /** The upgrade must reach exactly one task: more than one running is a failure. */
  readonly requireSingleTask: boolean;
  readonly migrationPort: number;
  readonly servicePort: number;
  /** Configured load balancer URLs, used instead of the task's address when given. */
  readonly migrationUrl?: string;
  readonly serviceUrl?: string;
  /** The image digest the approved plan was read from: a task running another is refused. */
  readonly expectedDigest?: string;
}

export interface TaskEndpoint {
  readonly TaskArn: string;
  readonly PrivateIp: string;
  /** The image as the task definition names it (a tag) and the digest the task actually runs. */
  readonly Image: string;
  readonly ImageDigest: string;
  readonly migrationUrl: string;
  readonly serviceUrl: string;
}

/**
 * Finds the task to talk to and where to reach it. ListTasks with desiredStatus RUNNING also lists
 * tasks still provisioning, and their DescribeTasks entry may have no network interface or address
 * yet, nor an image digest (shared/facts/aws-behaviour.md): such a task is "not ready", which the
 * state machine retries a bounded number of times, never an error that ends the run.
 */
export async function locateTask(req: LocateRequest, ecs: TaskReader): Promise<TaskEndpoint> {
  const arns = req.taskArn ? [req.taskArn] : await ecs.list(req.cluster, req.serviceName as string);
  if (arns.length === 0) throw new NoRunningTask(`the service ${req.serviceName} runs no task`);
  if (req.requireSingleTask && arns.length > 1) {
    throw new MoreThanOneTask(`${arns.length} tasks run; the upgrade must reach exactly one: goose has no lock, two tasks could migrate at once`);
  }
  const tasks = await ecs.describe(req.cluster, arns.slice(0, 1));
  const task = tasks[0];
  if (!task) throw new TaskNotReady(`DescribeTasks does not know ${arns[0]} yet`);
  const endpoint = endpointOf(task, req);
  if (req.expectedDigest && endpoint.ImageDigest !== req.expectedDigest) {
    throw new PlanChanged(
      `${endpoint.TaskArn} runs ${endpoint.Image} at ${endpoint.ImageDigest}, the approved plan was read from ${req.expectedDigest}: the image moved since the approval (a tag was pushed again?)`,
    );
  }
  return endpoint;
}

/** Pure: the address and image of a described task, or why it cannot be used yet. */
export function endpointOf(task: Task, req: Pick<LocateRequest, 'containerName' | 'migrationPort' | 'servicePort' | 'migrationUrl' | 'serviceUrl'>): TaskEndpoint {
  const arn = task.taskArn ?? 'the task';
  if (task.lastStatus === 'STOPPED' || task.desiredStatus === 'STOPPED') {
    throw new TaskStopped(`${arn} stopped${task.stoppedReason ? `: ${task.stoppedReason}` : ''}`);
  }
  if (task.lastStatus !== 'RUNNING') throw new TaskNotReady(`${arn} is ${task.lastStatus ?? 'in no state yet'}, not RUNNING`);
  const eni = task.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
  const container = task.containers?.find((c) => c.name === req.containerName);
  const ip = eni?.details?.find((d) => d.name === 'privateIPv4Address')?.value ?? container?.networkInterfaces?.[0]?.privateIpv4Address;
  if (!ip) throw new TaskNotReady(`${arn} has no private IP address yet`);
  if (!container?.image) throw new TaskNotReady(`${arn} does not report container ${req.containerName} yet`);
  if (!container.imageDigest) throw new TaskNotReady(`${arn} does not report the image digest of ${req.containerName} yet`);
  return {
    TaskArn: arn,
    PrivateIp: ip,
    Image: container.image,
    ImageDigest: container.imageDigest,
    migrationUrl: req.migrationUrl ?? `http://${ip}:${req.migrationPort}`,
    serviceUrl: req.serviceUrl ?? `http://${ip}:${req.servicePort}`,
  };
}
