import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from './context';
import { ApprovalGate } from './fragments/approval';
import { DryRun } from './fragments/dry-run';
import { FailureBranch } from './fragments/failure-branch';
import { ReadPlan } from './fragments/plan';
import { Preflight } from './fragments/preflight';
import { preparePhase } from './fragments/prepare-phase';
import { failNothingChanged, summarizeSuccess } from './fragments/report';
import { SingleFlight } from './fragments/single-flight';
import { upgradePhase } from './fragments/upgrade-phase';

/**
 * The whole guide as one state machine:
 *
 *   Preflight → one at a time → the plan, read from the image that will run → dry run? → approval
 *   of that plan → [Prepare: one task, restart onto that image, the plan holds, snapshot] →
 *   [Upgrade: upgrade, verify, restart, check /version, scale back] → the audit record
 *
 * Nothing changes before the approval; a rejection or a timeout ends the run with nothing to undo.
 * Each bracket is a Parallel with one branch, so a failure anywhere inside it (a Task error or a
 * named Fail such as a wait that ran out) is caught in one place, and the catch knows whether the
 * upgrade request could have been sent: failures in Prepare never restore the database.
 */
export function buildRunbook(scope: Construct, ctx: RunbookContext): sfn.IChainable {
  const prepare = preparePhase(scope, ctx);
  const upgrade = upgradePhase(scope, ctx);
  const failure = new FailureBranch(scope, ctx);
  prepare.addCatch(failure.fromPrepare, { resultPath: '$.error' });
  upgrade.addCatch(failure.fromUpgrade, { resultPath: '$.error' });

  const change = sfn.Chain.start(prepare)
    .next(upgrade)
    .next(summarizeSuccess(scope))
    .next(new sfn.Succeed(scope, 'Migration complete', { comment: 'The service runs the upgraded version at its original count.' }));
  const approvedChange = ctx.config.approval.required ? sfn.Chain.start(new ApprovalGate(scope, ctx, (s) => failNothingChanged(s, ctx))).next(change) : change;
  const dryRunOrChange = new sfn.Choice(scope, 'Is this a dry run?', { comment: 'A dry run reports the plan; it changes nothing.' })
    .when(sfn.Condition.booleanEquals('$.plan.dryRun', true), new DryRun(scope, ctx))
    .otherwise(approvedChange);
  return sfn.Chain.start(new Preflight(scope, ctx)).next(new SingleFlight(scope, ctx)).next(new ReadPlan(scope, ctx)).next(dryRunOrChange);
}
