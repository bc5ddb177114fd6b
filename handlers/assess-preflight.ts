import { InvalidHandlerEvent } from './lib/errors';
import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { assessPreflight, type DbInstanceDescription, type EcsServiceDescription } from './logic/assess-preflight';

/** Step 1 (Preflight): decide from the two descriptions whether the runbook may start. */
export const handler = defineHandler(
  'assess-preflight',
  (event) => {
    const o = asRecord(event, 'event');
    if (!Array.isArray(o.dbInstances)) throw new InvalidHandlerEvent('dbInstances: expected a list');
    if (!Array.isArray(o.services)) throw new InvalidHandlerEvent('services: expected a list');
    return {
      dbInstances: o.dbInstances as DbInstanceDescription[],
      services: o.services as EcsServiceDescription[],
      dbInstanceIdentifier: requireString(o, 'dbInstanceIdentifier'),
      serviceName: requireString(o, 'serviceName'),
      snapshotId: requireString(o, 'snapshotId'),
      restoreInstanceId: requireString(o, 'restoreInstanceId'),
      changeId: requireString(o, 'changeId'),
      executionId: requireString(o, 'executionId'),
    };
  },
  (e) => assessPreflight(e.dbInstances, e.services, e),
);
