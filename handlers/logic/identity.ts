/**
 * Who a signed request came from, in IAM's own names, and who may approve a change.
 *
 * A signed request names its principal by ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html,
 * "IAM ARNs"): an IAM user `arn:aws:iam::123456789012:user/division_abc/Bob`, the account root
 * `arn:aws:iam::123456789012:root`, a federated user `arn:aws:sts::123456789012:federated-user/Bob`,
 * and the session of someone who assumed a role `arn:aws:sts::123456789012:assumed-role/Accounting-Role/Mary`.
 * A role session's ARN names the role without its path (the role `role/ops/Approvers` is assumed as
 * `assumed-role/Approvers/<session>`: https://github.com/hashicorp/terraform-provider-aws/issues/19957),
 * so a role pattern is matched on the role's name.
 */

/** A principal as a signed request's context names it. */
export type Principal =
  | { readonly kind: 'user'; readonly partition: string; readonly account: string; readonly path: string; readonly name: string }
  | { readonly kind: 'assumed-role'; readonly partition: string; readonly account: string; readonly role: string; readonly session: string }
  | { readonly kind: 'federated-user'; readonly partition: string; readonly account: string; readonly name: string }
  | { readonly kind: 'root'; readonly partition: string; readonly account: string };

/** IAM's characters for user, role and session names (and path segments). */
const NAME = /^[\w+=,.@-]+$/;
const ARN = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$/;

/** The principal an ARN names, or undefined when it names none (a typed e-mail, a group, a role itself). */
export function parsePrincipalArn(arn: string): Principal | undefined {
  const match = ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, service, account, resource] = match as unknown as [string, string, string, string, string];
  const parts = resource.split('/');
  if (!parts.every((p) => NAME.test(p))) return undefined;
  if (service === 'iam' && resource === 'root') return { kind: 'root', partition, account };
  if (service === 'iam' && parts[0] === 'user' && parts.length >= 2) {
    return { kind: 'user', partition, account, path: parts.slice(1, -1).join('/'), name: parts[parts.length - 1] as string };
  }
  if (service === 'sts' && parts[0] === 'assumed-role' && parts.length === 3) {
    return { kind: 'assumed-role', partition, account, role: parts[1] as string, session: parts[2] as string };
  }
  if (service === 'sts' && parts[0] === 'federated-user' && parts.length === 2) return { kind: 'federated-user', partition, account, name: parts[1] as string };
  return undefined;
}

/**
 * The person behind a principal, for telling whether two requests came from one: a user by name
 * (unique in its account whatever its path), a role session by role and session name, the root and
 * a federated user by their ARN. Names are compared without case: IAM refuses two users or roles
 * whose names differ only in case. Anything that is not a principal ARN (a requester typed at
 * start) stands for itself.
 */
export function identityKey(who: string): string {
  const p = parsePrincipalArn(who);
  if (!p) return who.trim().toLowerCase();
  const base = `${p.partition}:${p.account}`;
  switch (p.kind) {
    case 'user':
      return `${base}:user/${p.name}`.toLowerCase();
    case 'assumed-role':
      return `${base}:assumed-role/${p.role}/${p.session}`.toLowerCase();
    case 'federated-user':
      return `${base}:federated-user/${p.name}`.toLowerCase();
    case 'root':
      return `${base}:root`;
  }
}

export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}

/** What an approver pattern may look like; `*` and `?` only in names, never in the account. */
const PATTERN_NAME = /^[\w+=,.@*?-]+$/;

/**
 * Why an approver pattern can never match a signed request's principal, or undefined when it can.
 * Patterns are IAM principal ARNs with `*` and `?` in their names: a user, a role (every session of
 * it), a role session, a federated user, the account root.
 */
export function approverPatternProblem(pattern: string): string | undefined {
  const expected =
    'expected an IAM principal ARN: arn:aws:iam::<account>:user/<name>, arn:aws:iam::<account>:role/<name> (every session of the role), arn:aws:sts::<account>:assumed-role/<role>/<session>';
  const match = ARN.exec(pattern);
  if (!match) {
    return /^arn:[^:]*:(iam|sts)::[^:]*:/.test(pattern) ? `${expected}, with a 12-digit account (no wildcard), got ${JSON.stringify(pattern)}` : `${expected}, got ${JSON.stringify(pattern)}`;
  }
  const [, , service, , resource] = match as unknown as [string, string, string, string, string];
  const parts = resource.split('/');
  if (resource === 'root' && service === 'iam') return undefined;
  if (!parts.every((p) => PATTERN_NAME.test(p))) return `${expected}, got ${JSON.stringify(pattern)} (a name may hold letters, digits, +=,.@_- and the wildcards * ?)`;
  if (service === 'iam' && parts[0] === 'group') {
    return `${JSON.stringify(pattern)} is an IAM group, which never signs a request (its users do): list the users, or a role they assume`;
  }
  if (service === 'iam' && (parts[0] === 'user' || parts[0] === 'role') && parts.length >= 2) return undefined;
  if (service === 'sts' && parts[0] === 'assumed-role' && parts.length === 3) return undefined;
  if (service === 'sts' && parts[0] === 'federated-user' && parts.length === 2) return undefined;
  return `${expected}, got ${JSON.stringify(pattern)}`;
}

/** `*` any run of characters, `?` one; everything else literal. */
function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * Whether the principal of a signed request matches an approver pattern. A role pattern admits
 * every session of that role (by the role's name: a session ARN has no path); any other pattern is
 * matched against the principal's ARN, `*` matching across `/` as in IAM's ArnLike.
 */
export function matchesApprover(callerArn: string, pattern: string): boolean {
  const caller = parsePrincipalArn(callerArn);
  const match = ARN.exec(pattern);
  if (!caller || !match || approverPatternProblem(pattern)) return false;
  const [, partition, , account, resource] = match as unknown as [string, string, string, string, string];
  if (resource.startsWith('role/')) {
    const roleName = resource.split('/').pop() as string;
    return caller.kind === 'assumed-role' && caller.partition === partition && caller.account === account && glob(roleName).test(caller.role);
  }
  return glob(pattern).test(callerArn);
}

export interface ApprovalPolicy {
  /** Approver patterns; empty: anyone IAM lets call the endpoint. */
  readonly approvers: readonly string[];
  readonly allowSelfApproval: boolean;
}

export type Judgement =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly error: 'ApproverNotAllowed' | 'SelfApprovalRefused'; readonly reason: string };

/**
 * Whether `approver` may give `decision` on a change `requester` asked for. The requester may
 * always withdraw (reject) their own change: it changes nothing. Approving it needs someone else,
 * unless `allowSelfApproval`; and with approvers configured, anyone but the requester withdrawing
 * must match one of them.
 */
export function judgeApprover(policy: ApprovalPolicy, requester: string, approver: string, decision: 'approved' | 'rejected'): Judgement {
  const self = sameIdentity(requester, approver);
  if (self && decision === 'rejected') return { allowed: true };
  if (self && !policy.allowSelfApproval) {
    return {
      allowed: false,
      error: 'SelfApprovalRefused',
      reason: `${approver} requested this change and may not approve it (approval.allowSelfApproval is false): another approver must answer`,
    };
  }
  if (policy.approvers.length > 0 && !policy.approvers.some((p) => matchesApprover(approver, p))) {
    return {
      allowed: false,
      error: 'ApproverNotAllowed',
      reason: `${approver} is not one of the configured approvers (approval.approvers: ${policy.approvers.join(', ')})`,
    };
  }
  return { allowed: true };
}
