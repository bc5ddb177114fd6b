/** How the Metaflow deployment was made: the guide's CloudFormation template, the Terraform modules, or by hand. */
export type DeploymentKind = 'cloudformation' | 'terraform' | 'console';

export interface TaggedResource {
  /** What carries the tags, as the report names it: "ECS cluster metaflow". */
  readonly what: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The kind, from tags the deployments leave (facts file, section 2.3 and 3.2): CloudFormation tags what
 * it creates with `aws:cloudformation:stack-name` (the ECS cluster and the DB instance, not the ECS
 * service: https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2062), and the
 * Terraform modules tag the ECS cluster and the DB instance `Metaflow=true`. Names are not used: a
 * hand-made deployment may well copy them. Pure.
 */
export function deploymentKind(resources: readonly TaggedResource[]): { kind: DeploymentKind; source: string } {
  for (const r of resources) {
    const stack = r.tags['aws:cloudformation:stack-name'];
    if (stack) return { kind: 'cloudformation', source: `tag aws:cloudformation:stack-name=${stack} on ${r.what}` };
  }
  for (const r of resources) {
    if (r.tags.Metaflow === 'true') return { kind: 'terraform', source: `tag Metaflow=true (set by the terraform-aws-metaflow modules) on ${r.what}` };
  }
  return { kind: 'console', source: `no CloudFormation or Terraform-module tags on ${resources.map((r) => r.what).join(' or ')}` };
}

/** SDK tag lists ({Key, Value} or {key, value}) as a record. */
export function tagRecord(tags: ReadonlyArray<{ Key?: string; Value?: string } | { key?: string; value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const key = 'Key' in t ? t.Key : 'key' in t ? t.key : undefined;
    const value = 'Value' in t ? t.Value : 'value' in t ? t.value : undefined;
    if (key !== undefined) out[key] = value ?? '';
  }
  return out;
}
