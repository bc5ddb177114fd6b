import type { Task } from '@aws-sdk/client-ecs';
import { endpointOf, locateTask, type TaskReader } from '../../handlers/logic/locate-task';
import { PlanChanged, TaskNotReady, TaskStopped } from '../../handlers/lib/errors';

/** DescribeTasks answers as ECS gives them, field by field: what may be missing, in which order, beside what. */
const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/metaflow/0123456789abcdef0123456789abcdef';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const CONTAINER = { name: 'metadata-service', image: 'netflixoss/metaflow_metadata_service:latest', imageDigest: DIGEST };
const REQUEST = { cluster: 'metaflow', containerName: 'metadata-service', migrationPort: 8082, servicePort: 8080 };
const running = (extra: Partial<Task>): Task => ({ taskArn: ARN, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', ...extra });

const errorOf = (task: Task): Error => {
  try {
    endpointOf(task, REQUEST);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the task was taken');
};

describe('endpointOf: the address and image of a described task', () => {
  it('reads the address from the network interface attachment, past other attachments and details', () => {
    const task = running({
      attachments: [
        { type: 'ServiceConnect', details: [{ name: 'privateIPv4Address', value: '10.9.9.9' }] },
        { type: 'ElasticNetworkInterface', details: [{ name: 'subnetId', value: 'subnet-1' }, { name: 'privateIPv4Address', value: '10.0.1.23' }] },
      ],
      containers: [{ ...CONTAINER, networkInterfaces: [] }],
    });

    expect(endpointOf(task, REQUEST).PrivateIp).toBe('10.0.1.23');
  });

  it.each<[string, Partial<Task>]>([
    ['no attachments at all', { attachments: undefined }],
    ['an attachment without the address', { attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'subnetId', value: 'subnet-1' }] }] }],
    ['an attachment without details', { attachments: [{ type: 'ElasticNetworkInterface' }] }],
  ])("falls back to the container's own address when the task reports %s", (_case, attachments) => {
    const task = running({ ...attachments, containers: [{ ...CONTAINER, networkInterfaces: [{ privateIpv4Address: '10.0.1.24' }] }] });

    expect(endpointOf(task, REQUEST).PrivateIp).toBe('10.0.1.24');
  });

  it('reads the image and digest of the named container, not of a sidecar listed first', () => {
    const task = running({
      attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.1.23' }] }],
      containers: [{ name: 'log-router', image: 'fluent-bit:2', imageDigest: `sha256:${'b'.repeat(64)}` }, CONTAINER],
    });

    expect(endpointOf(task, REQUEST)).toMatchObject({ Image: CONTAINER.image, ImageDigest: DIGEST });
  });

  it.each<[string, Partial<Task>, string]>([
    ['no containers and no attachments', { containers: undefined, attachments: undefined }, `${ARN} has no private IP address yet`],
    ['an empty interface list and no attachment', { containers: [{ ...CONTAINER, networkInterfaces: [] }], attachments: [] }, `${ARN} has no private IP address yet`],
    [
      'an address but not the named container',
      { containers: [{ name: 'log-router', image: 'fluent-bit:2' }], attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.1.23' }] }] },
      `${ARN} does not report container metadata-service yet`,
    ],
    [
      'the named container without its image',
      { containers: [{ name: 'metadata-service', imageDigest: DIGEST, networkInterfaces: [{ privateIpv4Address: '10.0.1.23' }] }] },
      `${ARN} does not report container metadata-service yet`,
    ],
    ['no status yet', { lastStatus: undefined }, `${ARN} is in no state yet, not RUNNING`],
  ])('waits for a task that reports %s (TaskNotReady)', (_case, extra, message) => {
    const error = errorOf(running(extra));

    expect([error.name, error.message]).toEqual([TaskNotReady.name, message]);
  });

  it.each<[string, Partial<Task>, string]>([
    ['being stopped (desired STOPPED, still RUNNING)', { desiredStatus: 'STOPPED' }, `${ARN} stopped`],
    ['stopped though still desired', { lastStatus: 'STOPPED' }, `${ARN} stopped`],
    ['stopped, with the reason ECS gives', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Scaling activity' }, `${ARN} stopped: Scaling activity`],
    ['stopped, without an ARN', { taskArn: undefined, lastStatus: 'STOPPED' }, 'the task stopped'],
  ])('gives up on a task %s (TaskStopped)', (_case, extra, message) => {
    const error = errorOf(running(extra));

    expect([error.name, error.message]).toEqual([TaskStopped.name, message]);
  });
});

describe('locateTask: which task is described, and whether it runs the approved image', () => {
  const task = running({
    attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.1.23' }] }],
    containers: [CONTAINER],
  });
  const reader = (arns: string[]): TaskReader & { described: string[][] } => {
    const described: string[][] = [];
    return { described, list: async () => arns, describe: async (_c, taskArns) => {
        described.push(taskArns);
        return [task];
      },
    };
  };

  it('describes only the first of several tasks when one is enough', async () => {
    const ecs = reader([ARN, `${ARN}-2`, `${ARN}-3`]);

    await locateTask({ ...REQUEST, serviceName: 'metadata-service', requireSingleTask: false }, ecs);

    expect(ecs.described).toEqual([[ARN]]);
  });

  it('takes a task that runs the approved digest, and refuses one that runs another (PlanChanged)', async () => {
    const request = { ...REQUEST, serviceName: 'metadata-service', requireSingleTask: true };

    await expect(locateTask({ ...request, expectedDigest: DIGEST }, reader([ARN]))).resolves.toMatchObject({ ImageDigest: DIGEST });
    const refused = locateTask({ ...request, expectedDigest: `sha256:${'c'.repeat(64)}` }, reader([ARN]));
    await expect(refused).rejects.toThrow(PlanChanged);
    await expect(locateTask({ ...request, expectedDigest: `sha256:${'c'.repeat(64)}` }, reader([ARN]))).rejects.toThrow(
      `${ARN} runs ${CONTAINER.image} at ${DIGEST}, the approved plan was read from sha256:${'c'.repeat(64)}`,
    );
  });
});
