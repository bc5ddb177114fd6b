import type { RunbookAssembly } from './assembly';
import type { SimulatedDeployment } from './sim/deployment';
import { type Authorizer, createAuthorizer, defaultKeyPolicy, type PolicyDocument, type Principals, principalsFromTemplate } from './sim/iam';

/**
 * The simulated AWS authorizes every call as IAM would, against the policies of the role that makes
 * it in the synthesized template (rehearsal/sim/iam.ts). One authorizer per assembly, so its
 * decisions are cached across every rehearsal of it; what it needs to know about the world (which
 * key encrypts a snapshot, the roles of a task definition) it reads from the deployment rehearsing now.
 */
export interface Authorization {
  readonly principals: Principals;
  readonly authorizer: Authorizer;
  /** The deployment the world lookups read; set by each rehearsal. */
  deployment: SimulatedDeployment | undefined;
}

const byAssembly = new WeakMap<RunbookAssembly, Authorization>();

export function authorizationFor(assembly: RunbookAssembly): Authorization {
  const known = byAssembly.get(assembly);
  if (known) return known;
  const principals = principalsFromTemplate(assembly.template);
  const self: Authorization = {
    principals,
    deployment: undefined,
    authorizer: createAuthorizer(principals, {
      world: {
        snapshotKey: ({ kind, identifier }) => {
          const id = identifier.split(':').pop()?.toLowerCase();
          const rds = self.deployment?.rds;
          const snap = kind === 'cluster' ? rds?.clusterSnapshots.find((s) => s.id === id) : rds?.snapshots.find((s) => s.id === id);
          return snap?.source.StorageEncrypted ? snap.source.KmsKeyId : undefined;
        },
        taskDefinition: (reference) => {
          const td = self.deployment?.ecs.findTaskDefinition(reference).taskDefinition;
          return td ? { arn: td.taskDefinitionArn as string, taskRoleArn: td.taskRoleArn, executionRoleArn: td.executionRoleArn } : undefined;
        },
      },
      keyPolicy: (keyArn) => {
        const key = self.deployment?.fixture.account.kmsKeys.find((k) => k.arn === keyArn);
        return key?.manager === 'AWS' ? awsManagedRdsKeyPolicy() : defaultKeyPolicy();
      },
    }),
  };
  byAssembly.set(assembly, self);
  return self;
}

/**
 * The policy of aws/rds, the key AWS manages for RDS: anyone in the account may use it through RDS,
 * without an IAM grant (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-cmk;
 * the policy as `aws kms get-key-policy` shows it for alias/aws/rds).
 */
function awsManagedRdsKeyPolicy(account = '123456789012', region = 'eu-west-1'): PolicyDocument {
  return {
    Version: '2012-10-17',
    Id: 'auto-rds-2',
    Statement: [
      {
        Sid: 'Allow access through RDS for all principals in the account that are authorized to use RDS',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:ListGrants', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': account, 'kms:ViaService': `rds.${region}.amazonaws.com` } },
      },
      { Sid: 'Allow direct access to key metadata to the account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'], Resource: '*' },
    ],
  };
}
