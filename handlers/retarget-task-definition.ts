import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { retargetTaskDefinition } from './logic/retarget-task-definition';

/** Step 4 (guide 4.2): build the new task definition revision that runs the target image. */
export const handler = defineHandler(
  'retarget-task-definition',
  (event) => {
    const o = asRecord(event, 'event');
    return {
      described: asRecord(o.described, 'described'),
      containerName: requireString(o, 'containerName'),
      targetImage: requireString(o, 'targetImage'),
    };
  },
  (e) => retargetTaskDefinition(e.described, e.containerName, e.targetImage),
);
