import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { invoke, sdkCall } from '../tasks';
import { locateTask } from './locate-task';
import { checkServiceVersion } from './service-version';

/**
 * Guide step 0: know what you start from. Validates the operator's input, then describes the
 * database and the service and refuses to start unless both are quiet. Nothing is changed here,
 * so a failure ends the execution at once, with no rollback to do.
 */
export class Preflight extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Preflight');
    const d = ctx.config.deployment;
    const validate = invoke(scope, 'Validate the execution input', ctx.fns.validateInput, {
      comment: 'Rejects unknown or malformed input by field name before any AWS call, and derives the snapshot and rename identifiers.',
      payload: {
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        ...ctx.database.planInput,
      },
      // Empty records every later step writes into, so reports never meet a missing path.
      resultSelector: {
        'plan.$': '$',
        'StartedAt.$': '$$.State.EnteredTime',
        // Compared with the running executions' names (a Choice reads only the state).
        'executionName.$': '$$.Execution.Name',
        steps: {},
        polls: {},
        approval: { decision: ctx.config.approval.required ? 'not reached' : 'not required by configuration' },
        // Replaced once read: a report of a run that failed earlier says so rather than missing a path.
        schema: { before: 'not read' },
        versionBefore: 'not read',
      },
      resultPath: '$',
    });
    const whoAsked = invoke(scope, 'Verify who asked', ctx.fns.verifyIdentity, {
      comment:
        "The requester as the audit record keeps it: verified when the runbook's endpoint started the execution for a signed request (its attestation checked with KMS), typed otherwise. A forged or copied attestation is refused.",
      payload: {
        check: 'requester',
        'requestedBy.$': '$.plan.requestedBy',
        'changeId.$': '$.plan.changeId',
        'executionName.$': '$$.Execution.Name',
        // This check's own time, seconds after the start (the input's validation comes first):
        // $$.Execution.StartTime would do in AWS, but the local interpreter takes it from the real
        // clock while the rehearsal runs on a virtual one, and we deploy only what we rehearse.
        'checkedAt.$': '$$.State.EnteredTime',
        'attestation.$': '$.plan.attestation',
        keyArn: ctx.attestationKey.keyArn,
      },
      resultPath: '$.requester',
    });
    const describeDb = ctx.database.describe(scope, ctx);
    const describeService = sdkCall(scope, 'Describe the ECS service', {
      comment: 'The service must be steady (one deployment, all tasks running); its count and task definition are what a rollback restores.',
      service: 'ecs',
      action: 'describeServices',
      parameters: { Cluster: d.clusterName, Services: [d.serviceName] },
      iamResources: [ctx.arns.service],
      resultSelector: { 'Services.$': '$.Services' },
      resultPath: '$.described.ecs',
      retry: { errors: ['Ecs.ServerException'] },
    });
    const assess = invoke(scope, 'Check the deployment is quiet', ctx.fns.assessPreflight, {
      comment: 'Refuses to start from a busy deployment and records the original count and task definition, and the calls that would put the database back exactly as it is.',
      payload: {
        ...ctx.database.assessInput,
        'services.$': '$.described.ecs.Services',
        serviceName: d.serviceName,
        'snapshotId.$': '$.plan.snapshotId',
        'changeId.$': '$.plan.changeId',
      },
      resultPath: '$.original',
    });
    // What the service runs now, before anything changes: the release a rollback must bring back.
    // Since 2024 ECS pins a deployment to the digest its tag resolved to, so a running task's digest
    // is the release, whatever the tag resolves to today.
    const running = locateTask(scope, ctx, { label: 'running now', requireSingleTask: false, resultPath: '$.runningRelease' });
    const versionBefore = checkServiceVersion(scope, ctx, {
      name: 'Record the service version before',
      comment: 'The version the metadata service answers now, on the current schema, for the record.',
      resultPath: '$.versionBefore',
      endpointPath: '$.runningRelease',
    });
    validate.next(whoAsked).next(describeDb.first);
    describeDb.last.next(describeService).next(assess).next(running).next(versionBefore);
    this.startState = validate;
    this.endStates = versionBefore.endStates;
  }
}
