import { parseHttpTarget } from './lib/events';
import { defineHandler } from './lib/handler';
import { send } from './lib/http';
import { pingMigrationService } from './logic/migration-service';

/** Steps 4 and 8: the new task's migration service answers on 8082 (retried by the state machine). */
export const handler = defineHandler('ping-migration-service', parseHttpTarget, (e) => pingMigrationService(e, send));
