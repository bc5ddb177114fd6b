import { InvalidHandlerEvent } from './lib/errors';
import { asRecord, parseHttpTarget } from './lib/events';
import { defineHandler } from './lib/handler';
import { send } from './lib/http';
import { getSchemaStatus } from './logic/migration-service';

/**
 * The plan, the status before the upgrade and its verification: GET /db_schema_status, refusing a
 * schema the image does not know, and (with `expectedUnapplied`) a list of pending migrations other
 * than the approved plan's.
 */
export const handler = defineHandler(
  'get-schema-status',
  (event) => {
    const expected = asRecord(event, 'event').expectedUnapplied;
    if (expected !== undefined && !(Array.isArray(expected) && expected.every((m) => typeof m === 'string'))) {
      throw new InvalidHandlerEvent('expectedUnapplied: expected a list of migration versions');
    }
    return { ...parseHttpTarget(event), expectedUnapplied: expected as string[] | undefined };
  },
  (e) => getSchemaStatus(e, send),
);
