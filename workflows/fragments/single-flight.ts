import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { absent, sdkCall } from '../tasks';

/**
 * One migration at a time: two executions would scale, restart and upgrade the same service at
 * once. Fails before any change, naming the executions that are running.
 */
export class SingleFlight extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext) {
    super(scope, 'fragment: Single flight');
    const list = sdkCall(scope, 'Check no other migration is running', {
      comment: 'Lists the running executions of this state machine; this one is among them.',
      service: 'sfn',
      action: 'listExecutions',
      parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING', MaxResults: 10 },
      iamResources: [ctx.arns.stateMachine],
      // Kept whole: selecting the names would end the execution in States.Runtime on an empty list.
      resultSelector: { 'Executions.$': '$.Executions' },
      resultPath: '$.running',
      retry: { errors: ['Sfn.SfnException'] },
    });
    const explain = new sfn.Pass(scope, 'Name the running migrations', {
      comment: 'The cause names every running execution listed.',
      parameters: {
        'text.$': "States.Format('Another migration is running; only one may run at a time. Running executions: {}', States.JsonToString($.running.Executions))",
      },
      resultPath: '$.refusal',
    });
    const refuse = new sfn.Fail(scope, 'Another migration is running', {
      comment: 'Nothing was changed.',
      error: 'AnotherExecutionRunning',
      causePath: '$.refusal.text',
    });
    const alone = new sfn.Pass(scope, 'No other migration is running', { comment: 'This execution is the only one.' });
    const first = '$.running.Executions[0]';
    // ListExecutions is eventually consistent: this execution may not be listed yet. Two listed
    // means another; one listed must be this one. Each field is tested for presence before a rule
    // reads it (a missing path read by a Choice ends the execution in States.Runtime).
    explain.next(refuse);
    list.next(
      new sfn.Choice(scope, 'Is another migration running?', {
        comment: 'Two listed executions, or one that is not this one, mean two migrations would race on one database.',
      })
        .when(sfn.Condition.isPresent('$.running.Executions[1]'), explain)
        .when(absent(first), alone)
        .when(absent(`${first}.Name`), explain)
        .when(sfn.Condition.not(sfn.Condition.stringEqualsJsonPath(`${first}.Name`, '$.executionName')), explain)
        .otherwise(alone),
    );
    this.startState = list;
    this.endStates = alone.endStates;
  }
}
