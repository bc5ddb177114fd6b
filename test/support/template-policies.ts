import type { Json, Template } from '../../rehearsal/assembly';

/** A statement of an IAM policy document in a synthesized template. */
export type Statement = Record<string, Json>;

/**
 * The statements of every IAM policy of `t`, as mutable lists: the inline policies and the managed
 * ones the CDK moves statements into once a role's inline policy is full (its "overflow" policies).
 */
export const policyDocuments = (t: Template) =>
  Object.values(t.Resources).flatMap((r) =>
    (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && r.Properties ? [r.Properties.PolicyDocument as unknown as { Statement: Statement[] }] : [],
  );

/** The template with every statement `drop` matches taken out of every IAM policy. */
export function withoutStatements(source: Template, drop: (statement: Statement) => boolean): Template {
  // A JSON copy: structuredClone under jest makes objects of another realm.
  const copy = JSON.parse(JSON.stringify(source)) as Template;
  for (const document of policyDocuments(copy)) document.Statement = document.Statement.filter((s) => !drop(s));
  return copy;
}

/** A statement's actions, in lower case (IAM compares them so). */
export const actionsOf = (s: Statement) => [s.Action].flat().map((a) => String(a).toLowerCase());
