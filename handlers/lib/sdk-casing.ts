/**
 * How Step Functions names the members of an AWS API in its SDK integrations
 * (`arn:aws:states:::aws-sdk:<service>:<action>`): as the AWS SDK for Java v2 does
 * (`Utils.unCapitalize`: the leading run of capitals is lowered, except the one that starts the
 * next word), then capitalised. DBInstanceIdentifier → DbInstanceIdentifier, CACertificateIdentifier
 * → CaCertificateIdentifier, MultiAZ → MultiAZ, cluster → Cluster; capitals after the first word
 * stay: NewDBInstanceIdentifier, PerformanceInsightsKMSKeyId. Getting this wrong passes `cdk synth`
 * and fails only in AWS (shared/facts/toolchain.md).
 */
export function sfnMemberName(member: string): string {
  const upper = (i: number) => /[A-Z]/.test(member[i] ?? '');
  const lower = (i: number) => /[a-z]/.test(member[i] ?? '');
  let end = 1;
  while (end < member.length && upper(end) && !lower(end + 1)) end += 1;
  return member.charAt(0).toUpperCase() + member.slice(1, end).toLowerCase() + member.slice(end);
}

/** A whole value with every object key renamed by `rename`, lists and nested objects included. */
export function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), renameKeys(v, rename)]));
  }
  return value;
}
