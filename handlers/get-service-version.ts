import { parseHttpTarget } from './lib/events';
import { defineHandler } from './lib/handler';
import { send } from './lib/http';
import { asRecord, optionalString } from './lib/validate';
import { checkServiceVersion } from './logic/service-version';

/** Step 9: GET /version on 8080 must be at least the configured minimum. */
export const handler = defineHandler(
  'get-service-version',
  (event) => ({
    ...parseHttpTarget(event),
    minimumVersion: optionalString(asRecord(event, 'event'), 'minimumVersion', { pattern: /^\d+(\.\d+){0,3}$/ }),
  }),
  (e) => checkServiceVersion(e, send),
);
