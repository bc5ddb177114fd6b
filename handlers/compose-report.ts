import { defineHandler } from './lib/handler';
import { asRecord } from './lib/validate';
import { composeFailureReport } from './logic/compose-report';

/** The failure branch's last step: the cause text the failed execution shows. */
export const handler = defineHandler(
  'compose-report',
  (event) => ({ report: asRecord(asRecord(event, 'event').report, 'report') }),
  (e) => composeFailureReport(e.report),
);
