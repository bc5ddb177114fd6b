import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { sdkCall } from '../tasks';

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
      resultSelector: { 'Names.$': '$.Executions[*].Name' },
      resultPath: '$.running',
      retry: { errors: ['Sfn.SfnException'] },
    });
    const explain = new sfn.Pass(scope, 'Name the running migrations', {
      comment: 'The cause names every running execution, this one included.',
      parameters: {
        'text.$': "States.Format('Another migration is running; only one may run at a time. Running executions: {}', States.JsonToString($.running.Names))",
      },
      resultPath: '$.refusal',
    });
    const refuse = new sfn.Fail(scope, 'Another migration is running', {
      comment: 'Nothing was changed.',
      error: 'AnotherExecutionRunning',
      causePath: '$.refusal.text',
    });
    const alone = new sfn.Pass(scope, 'No other migration is running', { comment: 'This execution is the only one.' });
    list.next(
      new sfn.Choice(scope, 'Is another migration running?', {
        comment: 'This execution is always listed; a second name means two migrations would race on one database.',
      })
        .when(sfn.Condition.isPresent('$.running.Names[1]'), explain.next(refuse))
        .otherwise(alone),
    );
    this.startState = list;
    this.endStates = alone.endStates;
  }
}
