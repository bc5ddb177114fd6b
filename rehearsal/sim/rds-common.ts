import { renameKeys, sfnMemberName } from '../../handlers/lib/sdk-casing';
import type { SubnetGroup } from '../fixtures';
import { AwsError } from './aws-error';

/**
 * What the simulated RDS's instances (rds.ts) and Aurora clusters (rds-cluster.ts) share: RDS's
 * identifier and tag rules, its error naming through Step Functions, and the answers' casing.
 */

/** The database answers connections in these instance states; in every other one it refuses them. */
export const REACHABLE = new Set([
  'available',
  'backing-up',
  'modifying',
  'configuring-enhanced-monitoring',
  'configuring-log-exports',
  'configuring-iam-database-auth',
  'storage-optimization',
]);
export const CA_CERTIFICATES = ['rds-ca-rsa2048-g1', 'rds-ca-rsa4096-g1', 'rds-ca-ecc384-g1'];
export const IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;
export const SNAPSHOT_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$/;
/** The account-and-Region part of every endpoint name (`<id>.<hash>.<region>.rds.amazonaws.com`). */
export const ENDPOINT_HASH = 'c9akciq32';
export const HOSTED_ZONE_ID = 'Z29XKXDKYMONMX';

/** A transition due at a virtual time. */
export interface Timer {
  readonly at: number;
  readonly apply: () => void;
}

/** An error RDS has no modeled exception for (InvalidParameterValue, ...): Step Functions calls it Rds.RdsException. */
export const unmodeled = (code: string, message: string) => new AwsError('Rds.RdsException', `${message} (Error Code: ${code})`);

/** Where a restore lands without a subnet group: the default VPC, and its default security group. */
export const DEFAULT_SUBNET_GROUP: SubnetGroup = {
  name: 'default',
  vpcId: 'vpc-0defau170000000a',
  subnets: [
    { id: 'subnet-0defau170000000a', zone: 'eu-west-1a' },
    { id: 'subnet-0defau170000000b', zone: 'eu-west-1b' },
    { id: 'subnet-0defau170000000c', zone: 'eu-west-1c' },
  ],
};
export const DEFAULT_VPC_SECURITY_GROUP = 'sg-0defau1700000000a';

/** An identifier or ARN as RDS matches it: case-insensitively (it stores identifiers in lower case). */
export function idOf(value: unknown): string {
  const s = String(value);
  return (s.startsWith('arn:') ? (s.split(':').pop() as string) : s).toLowerCase();
}

/** RDS refuses tag keys and values that start with `aws:` or `rds:` (API reference, `Tag`). */
export function checkTags(tags: unknown): void {
  for (const t of (tags as { Key?: string; Value?: string }[] | undefined) ?? []) {
    for (const prefix of ['aws:', 'rds:']) {
      if (String(t.Key).toLowerCase().startsWith(prefix)) throw unmodeled('InvalidParameterValue', `Tag keys cannot start with the reserved prefix "${prefix}".`);
      if (String(t.Value ?? '').toLowerCase().startsWith(prefix)) throw unmodeled('InvalidParameterValue', `Tag values cannot start with the reserved prefix "${prefix}".`);
    }
  }
}

/** Monitoring settings RDS checks on every create, restore and modify that carries them. */
export function checkMonitoring(p: Record<string, unknown>, current: { MonitoringInterval?: number; MonitoringRoleArn?: string }, roles: readonly string[]): void {
  const interval = Number(p.MonitoringInterval ?? current.MonitoringInterval ?? 0);
  if (p.MonitoringInterval !== undefined && ![0, 1, 5, 10, 15, 30, 60].includes(interval)) throw unmodeled('InvalidParameterValue', `Invalid MonitoringInterval ${interval}.`);
  if (interval > 0 && (p.MonitoringRoleArn ?? current.MonitoringRoleArn) === undefined) {
    throw unmodeled('InvalidParameterCombination', 'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.');
  }
  if (p.MonitoringRoleArn !== undefined && !roles.includes(String(p.MonitoringRoleArn))) {
    throw unmodeled('InvalidParameterValue', `IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING (${String(p.MonitoringRoleArn)})`);
  }
}

/** Performance Insights retention: 7, 31 × m (m = 1 … 23) or 731 days (API reference, ModifyDBInstance). */
export function checkInsightsRetention(retention: unknown): void {
  if (retention !== undefined && !(retention === 7 || retention === 731 || (Number(retention) % 31 === 0 && Number(retention) <= 713))) {
    throw unmodeled('InvalidParameterValue', `Invalid Performance Insights retention period: ${String(retention)}`);
  }
}

export function checkCertificate(ca: unknown): void {
  if (ca !== undefined && !CA_CERTIFICATES.includes(String(ca))) throw new AwsError('Rds.CertificateNotFoundException', `CACertificateIdentifier ${String(ca)} not found.`);
}

/** A result as Step Functions returns it: Java SDK v2 member names, timestamps as text, absent members left out. */
export function toSfn(value: unknown): unknown {
  return renameKeys(JSON.parse(JSON.stringify(value)), sfnMemberName);
}
