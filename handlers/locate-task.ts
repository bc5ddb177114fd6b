import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { InvalidHandlerEvent } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, optionalString, requireInteger, requireString } from './lib/validate';
import { locateTask, type TaskReader } from './logic/locate-task';

// Created once per container: the SDK client reuses its connections across invocations.
const ecs = new ECSClient({});
const reader: TaskReader = {
  list: async (cluster, serviceName) => (await ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING' }))).taskArns ?? [],
  describe: async (cluster, tasks) => (await ecs.send(new DescribeTasksCommand({ cluster, tasks }))).tasks ?? [],
};

const URL_PATTERN = /^https?:\/\/[^\s/]+(:\d+)?(\/[^\s]*)?$/;

/** Steps 4, 8 and the rollback: the task to talk to, its address, image and digest. */
export const handler = defineHandler(
  'locate-task',
  (event) => {
    const o = asRecord(event, 'event');
    if (typeof o.requireSingleTask !== 'boolean') throw new InvalidHandlerEvent('requireSingleTask: expected true or false');
    const serviceName = optionalString(o, 'serviceName');
    const taskArn = optionalString(o, 'taskArn', { pattern: /^arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task\/[\w-]+\/[0-9a-f]+$/, expected: 'a task ARN' });
    if ((serviceName === undefined) === (taskArn === undefined)) throw new InvalidHandlerEvent('serviceName, taskArn: expected exactly one of them');
    return {
      cluster: requireString(o, 'cluster'),
      containerName: requireString(o, 'containerName'),
      serviceName,
      taskArn,
      requireSingleTask: o.requireSingleTask,
      migrationPort: requireInteger(o, 'migrationPort', { min: 1, max: 65535 }),
      servicePort: requireInteger(o, 'servicePort', { min: 1, max: 65535 }),
      migrationUrl: optionalString(o, 'migrationUrl', { pattern: URL_PATTERN, expected: 'an http(s) URL' }),
      serviceUrl: optionalString(o, 'serviceUrl', { pattern: URL_PATTERN, expected: 'an http(s) URL' }),
      expectedDigest: optionalString(o, 'expectedDigest', { pattern: /^sha256:[0-9a-f]{64}$/, expected: 'an image digest (sha256:...)' }),
    };
  },
  (e) => locateTask(e, reader),
);
