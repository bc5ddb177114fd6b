import { Annotations, App, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { passTaskRoles, runbookArns } from '../workflows/context';
import { databaseKind } from '../workflows/database';
import { worstCaseSeconds } from '../workflows/worst-case';
import { buildRunbook } from '../workflows/runbook';
import { CONFIG_VERSION_OUTPUT, configVersion, ENDPOINT_URL_OUTPUT, type RunbookConfig } from './config';
import { MAC_ALGORITHM } from '../handlers/logic/attestation';
import { HandlerFunctions } from './handler-functions';

export interface RunbookStackProps extends StackProps {
  readonly config: RunbookConfig;
  /** The execution's timeout; by default derived from the definition (executionTimeoutSeconds). */
  readonly timeoutSeconds?: number;
}

/**
 * The runbook for one existing Metaflow deployment: the state machine, its handlers, the network
 * rules that let the handlers (and only them) reach the service's ports, logging, tracing and alarms.
 */
export class RunbookStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly handlerSecurityGroup: ec2.SecurityGroup;
  readonly topic: sns.ITopic;
  /** The HMAC key the endpoint attests verified identities with. */
  readonly attestationKey: kms.Key;
  /** The IAM-authenticated URL people start, approve and reject through. */
  readonly endpointUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: RunbookStackProps) {
    super(scope, id, props);
    const config = props.config;
    const d = config.deployment;

    // Imported by attributes, never looked up: synth must work without credentials.
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: d.vpcId,
      availabilityZones: d.availabilityZones,
      vpcCidrBlock: d.vpcCidrBlock,
    });
    const subnets = d.subnetIds.map((id, i) => {
      const subnet = ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, {
        subnetId: id,
        availabilityZone: d.availabilityZones[i % d.availabilityZones.length],
      });
      // Lambda only needs the subnet id; nothing here reads the route table.
      Annotations.of(subnet).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId');
      return subnet;
    });
    this.handlerSecurityGroup = new ec2.SecurityGroup(this, 'HandlerSecurityGroup', {
      vpc,
      description: 'Metaflow migration runbook handlers: may call the metadata and migration service ports',
      allowAllOutbound: false,
    });
    const serviceGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ServiceSecurityGroup', d.serviceSecurityGroupId, {
      allowAllOutbound: false,
      mutable: true,
    });
    for (const [port, what] of [
      [d.migrationPort, 'migration service'],
      [d.servicePort, 'metadata service'],
    ] as const) {
      // The manual guide opens 8082 to anywhere; only the runbook's handlers are admitted here.
      serviceGroup.addIngressRule(this.handlerSecurityGroup, ec2.Port.tcp(port), `Metaflow ${what} from the migration runbook handlers`);
      this.handlerSecurityGroup.addEgressRule(serviceGroup, ec2.Port.tcp(port), `To the Metaflow ${what}`);
    }
    if (d.migrationUrl || d.serviceUrl) {
      // A configured load balancer URL has an address the stack cannot know: allow the ports inside the VPC only.
      for (const port of new Set([d.migrationPort, d.servicePort, 80, 443])) {
        this.handlerSecurityGroup.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(port), 'To a load balancer in the VPC');
      }
    }

    const handlers = new HandlerFunctions(this, 'Handlers', {
      config,
      network: { vpc, subnets, securityGroup: this.handlerSecurityGroup },
    });
    this.grantRetarget(handlers, runbookArns(config));
    this.grantLocate(handlers, runbookArns(config));
    this.attestationKey = this.attestationKeyFor(handlers);
    this.endpointUrl = this.identityEndpoint(handlers, config, runbookArns(config));

    const logGroup = new logs.LogGroup(this, 'RunbookLogs', {
      logGroupName: `/aws/vendedlogs/states/${config.stackName}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Approvals and notifications: an existing topic from the configuration, or one of its own.
    this.topic = config.notifications.topicArn
      ? sns.Topic.fromTopicArn(this, 'Notifications', config.notifications.topicArn)
      : new sns.Topic(this, 'Notifications', { displayName: 'Metaflow migration runbook', enforceSSL: true });
    // The database's kind decides its states and IAM, here at synth (workflows/database).
    const ctx = { config, fns: handlers.fns, arns: runbookArns(config), topic: this.topic, attestationKey: this.attestationKey, database: databaseKind(config) };
    this.stateMachine = new sfn.StateMachine(this, 'Runbook', {
      stateMachineName: config.stackName,
      comment: 'Metaflow metadata service schema migration, with automatic restore on failure',
      definitionBody: sfn.DefinitionBody.fromChainable(buildRunbook(this, ctx)),
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
      // Every wait is bounded; the execution as a whole is too, so the timed-out alarm can fire.
      timeout: Duration.seconds(props.timeoutSeconds ?? executionTimeoutSeconds(config)),
    });
    ctx.database.grant(this.stateMachine);

    // Started, succeeded, failed, timed out, aborted: from Step Functions' own status events.
    new events.Rule(this, 'ExecutionStatusNotifications', {
      description: 'Metaflow migration runbook executions: every status change goes to the notification topic',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.SnsTopic(this.topic, {
          message: events.RuleTargetInput.fromText(
            `Metaflow migration runbook: execution ${events.EventField.fromPath('$.detail.name')} is ${events.EventField.fromPath('$.detail.status')}. ` +
              `${events.EventField.fromPath('$.detail.executionArn')}`,
          ),
        }),
      ],
    });

    for (const [id, metric, what] of [
      ['FailedAlarm', this.stateMachine.metricFailed(), 'failed'],
      ['TimedOutAlarm', this.stateMachine.metricTimedOut(), 'timed out'],
      ['AbortedAlarm', this.stateMachine.metricAborted(), 'was aborted'],
    ] as const) {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmDescription: `A Metaflow migration runbook execution ${what}: check its history and the rollback report.`,
        metric: metric.with({ statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // An alarm nobody hears is no alarm: it notifies the runbook's topic.
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
      // Once the topic has a policy of its own (the EventBridge target adds one), CloudWatch must be
      // allowed to publish, for these alarms only: "Resource: arn:aws:cloudwatch:…:alarm:… is not
      // authorized to perform: SNS:Publish" otherwise
      // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger). A topic
      // given in the configuration keeps its own policy: the README says what it must allow.
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${id}ToPublish`,
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': alarm.alarmArn }, StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }

    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, CONFIG_VERSION_OUTPUT, {
      value: configVersion(config),
      description: 'Hash of the configuration this stack was deployed from (npm run runbook -- check compares it with the file)',
    });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn, description: 'Subscribe the approvers and on-call here' });
    new CfnOutput(this, ENDPOINT_URL_OUTPUT, {
      value: this.endpointUrl.url,
      description: 'Start, approve and reject through this URL, signed with your AWS credentials (npm run runbook -- start|approve|reject finds it here)',
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/states/home?region=${Aws.REGION}#/statemachines/view/${this.stateMachine.stateMachineArn}`,
    });
  }

  /**
   * The HMAC key (HMAC_256, GENERATE_VERIFY_MAC) the endpoint attests verified identities with. Its
   * policy keeps the default statement that hands the key's administration to the account's IAM
   * policies (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and
   * denies GenerateMac to every principal but the endpoint's role and VerifyMac to every one but the
   * verifier's: an administrator with kms:* on every key still cannot mint or check an attestation
   * without changing this policy, which CloudTrail records. HMAC keys cannot be rotated; the key
   * is scheduled for deletion with the stack (an attestation outlives no execution).
   */
  private attestationKeyFor(handlers: HandlerFunctions): kms.Key {
    const key = new kms.Key(this, 'AttestationKey', {
      description: "Metaflow migration runbook: attests who started and who answered a change (only the runbook's endpoint MACs, only its verifier checks)",
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const only = (action: string, role: iam.IRole | undefined, sid: string) => {
      if (!role) throw new Error(`${sid}: the function has no role`);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [action],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [action], resources: [key.keyArn], conditions: { StringEquals: { 'kms:MacAlgorithm': MAC_ALGORITHM } } }),
      );
    };
    only('kms:GenerateMac', handlers.endpoint.role, 'OnlyTheEndpointAttests');
    only('kms:VerifyMac', handlers.fns.verifyIdentity.role, 'OnlyTheVerifierChecks');
    return key;
  }

  /**
   * The endpoint people start, approve and reject through: a function URL with AuthType AWS_IAM, so
   * Lambda verifies the SigV4 signature and IAM the caller's right to invoke it before the function
   * runs (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). Its role may start this
   * state machine, read its executions' histories (the task token) and answer a task: SendTaskSuccess
   * and SendTaskFailure have no resource-level permission (the Service Authorization Reference lists
   * no resource type for them, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html),
   * which is why the state machine checks the endpoint's attestation of every answer.
   */
  private identityEndpoint(handlers: HandlerFunctions, config: RunbookConfig, arns: ReturnType<typeof runbookArns>): lambda.FunctionUrl {
    const fn = handlers.endpoint;
    fn.addEnvironment('RUNBOOK_STATE_MACHINE_ARN', arns.stateMachine);
    fn.addEnvironment('RUNBOOK_KEY_ARN', this.attestationKey.keyArn);
    fn.addEnvironment('RUNBOOK_APPROVERS', JSON.stringify(config.approval.approvers));
    fn.addEnvironment('RUNBOOK_ALLOW_SELF_APPROVAL', String(config.approval.allowSelfApproval));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [arns.stateMachine] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:GetExecutionHistory'], resources: [arns.executions] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: ['*'] }));
    return fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  }

  /** The task finder reads the cluster's tasks, nothing else. */
  private grantLocate(handlers: HandlerFunctions, arns: ReturnType<typeof runbookArns>): void {
    const role = handlers.fns.locateTask.role;
    if (!role) return;
    // ListTasks authorizes on container instances, which a Fargate service has none of: granted on
    // "*" limited to the cluster by condition, as the CDK's own ECS code does.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: { ArnEquals: { 'ecs:cluster': arns.cluster } } }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [arns.tasks] }));
  }

  /**
   * The retarget function registers a revision of the service's own task definition family, and
   * passes that family's own roles to ECS: nothing wider.
   * RegisterTaskDefinition authorizes on the family's revisions (Service Authorization Reference,
   * Amazon ECS); DescribeTaskDefinition has no resource-level permission.
   */
  private grantRetarget(handlers: HandlerFunctions, arns: ReturnType<typeof runbookArns>): void {
    const role = handlers.fns.retargetTaskDefinition.role;
    if (!role) return;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: [arns.taskDefinitions] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [arns.taskDefinitions],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    );
    const passRole = passTaskRoles(arns);
    if (passRole) role.addToPrincipalPolicy(passRole);
  }
}

/**
 * The execution's timeout: the longest the definition can legitimately take (workflows/worst-case.ts,
 * read from the definition this configuration builds, approval window included) and an hour of
 * margin. The definition must be known before the state machine that carries it is made, so it is
 * built once more in a throwaway app that bundles nothing.
 */
export function executionTimeoutSeconds(config: RunbookConfig): number {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const probe = new RunbookStack(app, 'Probe', { config, env: { account: '123456789012', region: 'eu-west-1' }, timeoutSeconds: 1 });
  const rendered = probe.resolve((probe.stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionString) as unknown;
  // The definition is a Fn::Join of text and references; the references are never numbers we read.
  const joined = typeof rendered === 'string' ? rendered : (rendered as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'ref')).join('');
  return worstCaseSeconds(JSON.parse(joined)) + 3600;
}
