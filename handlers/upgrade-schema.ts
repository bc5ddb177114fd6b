import { parseHttpTarget } from './lib/events';
import { defineHandler } from './lib/handler';
import { send } from './lib/http';
import { upgradeSchema } from './logic/migration-service';

/** Step 6: the one PATCH /upgrade of the run. The state machine never retries it. */
export const handler = defineHandler('upgrade-schema', parseHttpTarget, (e) => upgradeSchema(e, send));
