import type { Task } from '@aws-sdk/client-ecs';
import { endpointOf, locateTask, type TaskReader } from '../../handlers/logic/locate-task';
import { expectNamedError, rejectionOf } from '../support/http-stub';

const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/metaflow/0123456789abcdef0123456789abcdef';
const DIGEST = `sha256:${'a'.repeat(64)}`;
/** A running Fargate task as DescribeTasks answers for it. */
const RUNNING: Task = {
  taskArn: ARN,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  containers: [{ name: 'metadata-service', image: 'netflixoss/metaflow_metadata_service:latest', imageDigest: DIGEST, networkInterfaces: [{ privateIpv4Address: '10.0.1.23' }] }],
  attachments: [{ type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: '10.0.1.23' }] }],
};
const REQUEST = { cluster: 'metaflow', containerName: 'metadata-service', serviceName: 'metadata-service', requireSingleTask: true, migrationPort: 8082, servicePort: 8080 };

function reader(arns: string[], tasks: Task[]): TaskReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    list: async (cluster, service) => {
      calls.push(`list ${cluster} ${service}`);
      return arns;
    },
    describe: async (cluster, taskArns) => {
      calls.push(`describe ${cluster} ${taskArns.join(',')}`);
      return tasks;
    },
  };
}

describe('locating the task to call', () => {
  it("addresses the task by its private IP and records the image and the digest it runs", async () => {
    await expect(locateTask(REQUEST, reader([ARN], [RUNNING]))).resolves.toEqual({
      TaskArn: ARN,
      PrivateIp: '10.0.1.23',
      Image: 'netflixoss/metaflow_metadata_service:latest',
      ImageDigest: DIGEST,
      migrationUrl: 'http://10.0.1.23:8082',
      serviceUrl: 'http://10.0.1.23:8080',
    });
  });

  it('uses the configured load balancer URLs instead of the address when given', () => {
    expect(endpointOf(RUNNING, { ...REQUEST, migrationUrl: 'http://nlb.internal:8082', serviceUrl: 'http://nlb.internal' })).toMatchObject({
      migrationUrl: 'http://nlb.internal:8082',
      serviceUrl: 'http://nlb.internal',
    });
  });

  it('describes a task known by its ARN without listing the service', async () => {
    const ecs = reader([], [RUNNING]);

    await locateTask({ ...REQUEST, serviceName: undefined, taskArn: ARN }, ecs);

    expect(ecs.calls).toEqual([`describe metaflow ${ARN}`]);
  });

  it.each<[string, string, Task | undefined, string[], string]>([
    ['NoRunningTask', 'the service lists no task', undefined, [], 'runs no task'],
    ['MoreThanOneTask', 'two tasks run where exactly one must', RUNNING, [ARN, `${ARN.slice(0, -1)}1`], '2 tasks run'],
    ['TaskNotReady', 'the task is still provisioning (no address, no digest yet)', { taskArn: ARN, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', attachments: [{ type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [] }], containers: [{ name: 'metadata-service', image: 'x' }] }, [ARN], 'is PROVISIONING'],
    ['TaskNotReady', 'a running task reports no address', { ...RUNNING, attachments: [], containers: [{ name: 'metadata-service', image: 'x', imageDigest: DIGEST }] }, [ARN], 'no private IP'],
    ['TaskNotReady', 'a running task reports no digest', { ...RUNNING, containers: [{ name: 'metadata-service', image: 'x', networkInterfaces: [{ privateIpv4Address: '10.0.1.23' }] }] }, [ARN], 'image digest'],
    ['TaskNotReady', 'DescribeTasks does not know the task yet', undefined, [ARN], 'does not know'],
    ['TaskStopped', 'the task stopped', { ...RUNNING, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Essential container in task exited' }, [ARN], 'Essential container in task exited'],
  ])('throws %s when %s', async (name, _when, task, arns, part) => {
    expectNamedError(await rejectionOf(locateTask(REQUEST, reader(arns, task ? [task] : []))), name, [part]);
  });
});
