import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { InvalidHandlerEvent } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { CHANGE_ID, IMAGE_REF } from './logic/plan-change';
import { retargetTaskDefinition, type TaskDefinitionStore } from './logic/retarget-task-definition';

// Created once per container: the SDK client reuses its connections across invocations.
const ecs = new ECSClient({});
const store: TaskDefinitionStore = {
  describe: (taskDefinition) => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })),
  register: async (input) => ({ taskDefinitionArn: (await ecs.send(new RegisterTaskDefinitionCommand(input))).taskDefinition?.taskDefinitionArn }),
};

/** Step 4 (guide 4.2): register a revision of the service's task definition that runs the target image. */
export const handler = defineHandler(
  'retarget-task-definition',
  (event) => {
    const o = asRecord(event, 'event');
    if ((o.targetImage === undefined) === (o.pinDigest === undefined)) {
      throw new InvalidHandlerEvent('targetImage, pinDigest: expected exactly one (a new image, or the digest a rollback pins)');
    }
    return {
      taskDefinition: requireString(o, 'taskDefinition', { pattern: /^arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task-definition\/[\w-]+:\d+$/, expected: 'a task definition ARN' }),
      containerName: requireString(o, 'containerName'),
      target:
        o.pinDigest !== undefined
          ? { digest: requireString(o, 'pinDigest', { pattern: /^sha256:[0-9a-f]{64}$/, expected: 'an image digest (sha256:<64 hex digits>)' }) }
          : { image: requireString(o, 'targetImage', { pattern: IMAGE_REF, expected: 'an image reference' }) },
      changeId: requireString(o, 'changeId', { pattern: CHANGE_ID, expected: 'a change id' }),
    };
  },
  (e) => retargetTaskDefinition(e, store),
);
