import { parseHttpTarget } from './lib/events';
import { defineHandler } from './lib/handler';
import { send } from './lib/http';
import { getSchemaStatus } from './logic/migration-service';

/** Steps 5 and 7: GET /db_schema_status, refusing a schema the image does not know. */
export const handler = defineHandler('get-schema-status', parseHttpTarget, (e) => getSchemaStatus(e, send));
