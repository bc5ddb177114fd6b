import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * What a restore needs beyond RDS itself, for either kind of database. A snapshot encrypted with a
 * customer managed key (the Terraform modules make one, for an instance and for an Aurora cluster)
 * is restored only by a caller that may create a grant on the key and describe it
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html; the Aurora
 * user guide's page of the same name says the same): any key of the account, but only through RDS
 * and only for RDS's own grant. Enhanced monitoring is turned back on with the instance's monitoring
 * role, which RDS must be passed
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
 */
export function grantRestoreDependencies(stateMachine: sfn.StateMachine): void {
  const viaRds = { 'kms:ViaService': `rds.${Aws.REGION}.amazonaws.com`, 'kms:CallerAccount': Aws.ACCOUNT_ID };
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
      conditions: { StringEquals: viaRds, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['kms:DescribeKey'],
      resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
      conditions: { StringEquals: viaRds },
    }),
  );
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/*`],
      conditions: { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } },
    }),
  );
}

/** Creating a snapshot, or restoring or creating with Tags, also needs AddTagsToResource on what is created. */
export function grantTaggingOnCreate(stateMachine: sfn.StateMachine, created: string[]): void {
  stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: created }));
}
