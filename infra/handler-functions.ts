import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RunbookFunctions } from '../workflows/context';
import type { RunbookConfig } from './config';

export interface HandlerFunctionsProps {
  readonly config: RunbookConfig;
  /** Where the HTTP handlers run: inside the VPC, to reach a task on its private IP. */
  readonly network: { vpc: ec2.IVpc; subnets: ec2.ISubnet[]; securityGroup: ec2.ISecurityGroup };
}

const HANDLERS_DIR = path.join(__dirname, '..', 'handlers');

/**
 * One small function per handler file. The HTTP ones live in the VPC; the pure ones do not need
 * it. Each gets its own log group with the configured retention, so nothing logs forever.
 */
export class HandlerFunctions extends Construct {
  readonly fns: RunbookFunctions;
  /** Behind the function URL: called by people, never by the state machine. */
  readonly endpoint: nodejs.NodejsFunction;
  readonly all: nodejs.NodejsFunction[] = [];

  constructor(scope: Construct, id: string, props: HandlerFunctionsProps) {
    super(scope, id);
    const requestTimeout = props.config.migration.requestTimeoutSeconds;
    const make = (name: string, description: string, options: { inVpc: boolean; timeout: Duration }) => {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        retention: props.config.logRetentionDays as logs.RetentionDays,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const fn = new nodejs.NodejsFunction(this, name, {
        description,
        entry: path.join(HANDLERS_DIR, `${name}.ts`),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: options.timeout,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        bundling: {
          minify: true,
          sourceMap: false,
          logLevel: nodejs.LogLevel.WARNING,
          // Error class names are what Retry/Catch match: minification must not rename them.
          keepNames: true,
          target: 'node22',
          // The AWS SDK v3 is part of the Lambda Node.js runtime.
          externalModules: ['@aws-sdk/*'],
        },
        ...(options.inVpc
          ? { vpc: props.network.vpc, vpcSubnets: { subnets: props.network.subnets }, securityGroups: [props.network.securityGroup] }
          : {}),
      });
      this.all.push(fn);
      return fn;
    };
    const http = { inVpc: true, timeout: Duration.seconds(requestTimeout + 20) };
    const local = { inVpc: false, timeout: Duration.seconds(20) };
    this.fns = {
      validateInput: make('validate-input', 'Validates the runbook execution input', local),
      assessPreflight: make('assess-preflight', 'Decides whether the deployment is quiet enough to start', local),
      retargetTaskDefinition: make('retarget-task-definition', 'Registers a task definition revision with the target image', {
        inVpc: false,
        timeout: Duration.seconds(60),
      }),
      // Calls the ECS API: outside the VPC, where a Lambda function reaches AWS without NAT or endpoints.
      locateTask: make('locate-task', 'Finds the task to call, its private IP and image digest', local),
      pingMigrationService: make('ping-migration-service', 'GET /ping on the migration service', http),
      getSchemaStatus: make('get-schema-status', 'GET /db_schema_status on the migration service', http),
      upgradeSchema: make('upgrade-schema', 'PATCH /upgrade on the migration service, once', {
        inVpc: true,
        // The request may legitimately take minutes (goose builds indexes); Lambda's ceiling is 900 s.
        timeout: Duration.seconds(Math.min(900, props.config.migration.upgradeTimeoutSeconds + 20)),
      }),
      getServiceVersion: make('get-service-version', 'GET /version on the metadata service', http),
      composeReport: make('compose-report', 'Writes the cause of a failed execution', local),
      // Calls KMS: outside the VPC, like the other functions that call AWS APIs.
      verifyIdentity: make('verify-identity', "Checks the runbook endpoint's attestations of who asked and who answered", local),
    };
    this.endpoint = make('runbook-endpoint', 'Starts, approves and rejects changes for IAM-authenticated callers (function URL)', { inVpc: false, timeout: Duration.seconds(30) });
  }
}
