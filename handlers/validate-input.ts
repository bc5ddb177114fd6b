import { defineHandler } from './lib/handler';
import { InvalidHandlerEvent } from './lib/errors';
import { asRecord, optionalString, requireString } from './lib/validate';
import type { DatabaseIdentifier } from './logic/derived-names';
import { planChange } from './logic/plan-change';

/** Step 1 (Preflight): reject bad execution input by field name before any AWS call. */
export const handler = defineHandler(
  'validate-input',
  (event) => {
    const o = asRecord(event, 'event');
    return { input: o.input, executionName: requireString(o, 'executionName'), database: databaseOf(o) };
  },
  (e) => planChange(e.input, e.executionName, e.database),
);

/** The state machine names the database it was built for: a DB instance or an Aurora cluster, exactly one. */
function databaseOf(o: Record<string, unknown>): DatabaseIdentifier {
  const cluster = optionalString(o, 'dbClusterIdentifier');
  const instance = optionalString(o, 'dbInstanceIdentifier');
  if ((cluster === undefined) === (instance === undefined)) {
    throw new InvalidHandlerEvent('expected exactly one of dbInstanceIdentifier and dbClusterIdentifier');
  }
  return cluster === undefined ? { dbInstanceIdentifier: instance as string } : { dbClusterIdentifier: cluster };
}
