import { defineHandler } from './lib/handler';
import { asRecord, requireString } from './lib/validate';
import { planChange } from './logic/plan-change';

/** Step 1 (Preflight): reject bad execution input by field name before any AWS call. */
export const handler = defineHandler(
  'validate-input',
  (event) => {
    const o = asRecord(event, 'event');
    return {
      input: o.input,
      executionName: requireString(o, 'executionName'),
      dbInstanceIdentifier: requireString(o, 'dbInstanceIdentifier'),
    };
  },
  (e) => planChange(e.input, e.executionName, e.dbInstanceIdentifier),
);
