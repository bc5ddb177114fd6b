import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookContext } from '../context';
import { absent, sdkCall } from '../tasks';

/**
 * Finds a running task of the service and records where to reach it in `$.endpoint`: the
 * configured URLs, or the task's private IP with the configured ports. With `requireSingleTask`,
 * more than one running task is a failure: the upgrade must reach exactly one.
 */
export class LocateTask extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, ctx: RunbookContext, props: { label: string; requireSingleTask: boolean }) {
    super(scope, `fragment: Locate ${props.label}`);
    const d = ctx.config.deployment;
    const list = sdkCall(scope, `List the running tasks (${props.label})`, {
      comment: 'Finds the running task, to call it on its private IP from inside the VPC.',
      service: 'ecs',
      action: 'listTasks',
      parameters: { Cluster: d.clusterName, ServiceName: d.serviceName, DesiredStatus: 'RUNNING' },
      // ListTasks authorizes on container instances, which a Fargate service has none of: the CDK's own
      // ECS code grants it on "*" limited to the cluster by condition, and so does this.
      iamResources: [ctx.arns.cluster],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: { ArnEquals: { 'ecs:cluster': ctx.arns.cluster } } }),
      ],
      resultSelector: { 'TaskArns.$': '$.TaskArns' },
      resultPath: '$.tasks',
      retry: { errors: ['Ecs.ServerException'] },
    });
    const describe = sdkCall(scope, `Describe the running task (${props.label})`, {
      comment: 'In awsvpc mode every container of the task shares one network interface: its private IP is the task address.',
      service: 'ecs',
      action: 'describeTasks',
      parameters: { Cluster: d.clusterName, 'Tasks.$': 'States.Array($.tasks.TaskArns[0])' },
      iamResources: [ctx.arns.tasks],
      resultSelector: {
        'TaskArn.$': '$.Tasks[0].TaskArn',
        'PrivateIp.$': '$.Tasks[0].Containers[0].NetworkInterfaces[0].PrivateIpv4Address',
        'TaskDefinition.$': '$.Tasks[0].TaskDefinitionArn',
        'Image.$': '$.Tasks[0].Containers[0].Image',
      },
      resultPath: '$.task',
      retry: { errors: ['Ecs.ServerException'] },
    });
    const address = new sfn.Pass(scope, `Address the task (${props.label})`, {
      comment: 'The migration and metadata service URLs: the configured ones, or the task IP with the configured ports.',
      parameters: {
        ...url('migrationUrl', d.migrationUrl, d.migrationPort),
        ...url('serviceUrl', d.serviceUrl, d.servicePort),
        'TaskArn.$': '$.task.TaskArn',
      },
      resultPath: '$.endpoint',
    });
    const none = new sfn.Fail(scope, `No task is running (${props.label})`, { error: 'NoRunningTask', cause: 'The service reports no running task.' });
    const check = new sfn.Choice(scope, `Is a task running (${props.label})?`).when(absent('$.tasks.TaskArns[0]'), none);
    if (props.requireSingleTask) {
      check.when(
        sfn.Condition.isPresent('$.tasks.TaskArns[1]'),
        new sfn.Fail(scope, `More than one task is running (${props.label})`, {
          error: 'MoreThanOneTask',
          cause: 'The upgrade must reach exactly one task: goose has no lock, two tasks could migrate at once.',
        }),
      );
    }
    check.otherwise(describe);
    list.next(check);
    describe.next(address);
    this.startState = list;
    this.endStates = address.endStates;
  }
}

function url(key: string, configured: string | undefined, port: number): Record<string, string> {
  return configured ? { [key]: configured } : { [`${key}.$`]: `States.Format('http://{}:${port}', $.task.PrivateIp)` };
}
