import { getDenialReasons, type RequestDenial, runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, REGION } from './deployment';
import type { PolicyDocument, Principal, Principals } from './iam-principals';
import {
  ACCESS_DENIED,
  type AwsCall,
  type DenialForm,
  type RequiredAuthorization,
  requiredAuthorizations,
  type WorldLookup,
} from './iam-requirements';

export { AWS_MANAGED_POLICIES, type PolicyDocument, type Principal, type Principals, principalsFromTemplate } from './iam-principals';
export {
  ACCESS_DENIED,
  AUTHORIZED_CALLS,
  type AwsCall,
  type CallPath,
  callOfTask,
  type DenialForm,
  type IamService,
  kmsKeyNotAccessible,
  type RequiredAuthorization,
  requiredAuthorizations,
  type WorldLookup,
} from './iam-requirements';

/** A denied call as AWS reports it; the dispatcher throws `new AwsError(error.name, error.message, error.statusCode)`. */
export interface AwsErrorLike {
  /** As the call's path names it: `Rds.RdsException` from a Step Functions SDK integration, `AccessDenied` from the JavaScript SDK. */
  readonly name: string;
  /** The error code on the wire. */
  readonly code: string;
  readonly statusCode: number;
  readonly message: string;
}

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly error: AwsErrorLike; readonly denied: RequiredAuthorization };

export interface Authorizer {
  /** Every authorization the call needs, evaluated in order; the first denied one fails the call, as AWS fails it. */
  authorize(principal: Principal, call: AwsCall): Promise<Decision>;
  /** Evaluations made, and how many were answered from the cache. */
  readonly stats: { evaluations: number; cached: number };
}

/**
 * A KMS key the template does not define has AWS's default key policy unless told otherwise: the
 * account root may do everything, which hands the decision to the caller's IAM policies
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export const defaultKeyPolicy = (account = ACCOUNT): PolicyDocument => ({
  Version: '2012-10-17',
  Id: 'key-default-1',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});

export interface AuthorizerOptions {
  readonly world?: WorldLookup;
  /** The key policy of a KMS key the template does not define (default: `defaultKeyPolicy`). */
  readonly keyPolicy?: (keyArn: string) => PolicyDocument | undefined;
}

/**
 * Authorizes simulated calls against the template's policies with iam-simulate, the way IAM
 * evaluates them: the caller's identity policies, and the resource's policy where the template or
 * the world has one (KMS key policies, SNS topic policies). Decisions are cached by principal,
 * action, resource, context and resource policy: a rehearsal repeats the same few hundred.
 */
export function createAuthorizer(principals: Principals, options: AuthorizerOptions = {}): Authorizer {
  const stats = { evaluations: 0, cached: 0 };
  // One cache per principal object: a template with a statement taken out makes new principals.
  const caches = new WeakMap<Principal, Map<string, Promise<RequestDenial[] | null>>>();
  const resourcePolicyOf = (need: RequiredAuthorization): PolicyDocument | undefined => {
    const inTemplate = principals.resourcePolicies.get(need.resource);
    if (inTemplate) return inTemplate;
    return need.action.startsWith('kms:') ? (options.keyPolicy?.(need.resource) ?? defaultKeyPolicy()) : undefined;
  };
  const evaluate = (principal: Principal, need: RequiredAuthorization): Promise<RequestDenial[] | null> => {
    const resourcePolicy = resourcePolicyOf(need);
    const context = { ...requestContext(principal, need), ...need.context };
    const key = JSON.stringify([need.action, need.resource, sorted(context), resourcePolicy ?? null]);
    stats.evaluations += 1;
    const cache = caches.get(principal) ?? new Map<string, Promise<RequestDenial[] | null>>();
    caches.set(principal, cache);
    const known = cache.get(key);
    if (known) {
      stats.cached += 1;
      return known;
    }
    const decision = simulate(principal, need, context, resourcePolicy);
    cache.set(key, decision);
    return decision;
  };
  return {
    stats,
    async authorize(principal, call) {
      for (const need of requiredAuthorizations(call, options.world ?? {})) {
        const denials = await evaluate(principal, need);
        if (denials) return { allowed: false, denied: need, error: accessDenied(principal, call, need, denials) };
      }
      return { allowed: true };
    },
  };
}

/**
 * iam-simulate reads a `*` in the request's resource as "any resource like this", but IAM compares
 * the policy's patterns with the request's ARN as a string: `db:*` (listing instances) is allowed
 * by a grant on `db:*` and not by one on `db:metaflow-db`. A character no policy contains stands in
 * for the literal `*`, so only a wildcard in the policy matches it. A bare `*` (an action with no
 * resource types) is what iam-simulate expects as it is.
 */
const LITERAL_STAR = '\u2217';
const literal = (resource: string) => (resource === '*' ? resource : resource.replaceAll('*', LITERAL_STAR));

/** `null` when allowed, else why not. */
async function simulate(
  principal: Principal,
  need: RequiredAuthorization,
  contextVariables: Record<string, string | string[]>,
  resourcePolicy: PolicyDocument | undefined,
): Promise<RequestDenial[] | null> {
  const result = await runSimulation(
    {
      request: { principal: principal.sessionArn, action: need.action, resource: { resource: literal(need.resource), accountId: ACCOUNT }, contextVariables },
      identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    { simulationMode: 'Strict' },
  );
  // A malformed policy, an unknown action or a resource of the wrong type is a mistake in the stack
  // or in the requirement table, never a denial: say so loudly.
  if (result.resultType !== 'single') {
    throw new Error(`iam-simulate cannot evaluate ${need.action} on ${need.resource} for ${principal.caller}: ${JSON.stringify(result.resultType === 'error' ? result.errors : result.results)}`);
  }
  return result.overallResult === 'Allowed' ? null : getDenialReasons(result.result.analysis);
}

/**
 * What IAM knows of every request (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
 * who the principal is, over TLS, in which region; a request a service makes on the caller's
 * behalf (a forward access session) carries aws:ViaAWSService. Time keys are left out: no policy of
 * the stack uses them, and they would make every decision new.
 */
function requestContext(principal: Principal, need: RequiredAuthorization): Record<string, string> {
  return {
    'aws:PrincipalArn': principal.roleArn,
    'aws:PrincipalAccount': ACCOUNT,
    'aws:PrincipalType': 'AssumedRole',
    'aws:PrincipalIsAWSService': 'false',
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': REGION,
    'aws:ViaAWSService': need.onBehalfOf ? 'true' : 'false',
  };
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

const POLICY_KIND: Readonly<Record<string, string>> = {
  identity: 'identity-based',
  resource: 'resource-based',
  scp: 'service control',
  rcp: 'resource control',
  pb: 'permissions boundary',
  session: 'session',
  vpce: 'VPC endpoint',
};

/**
 * IAM's message: "User: <session ARN> is not authorized to perform: <action> on resource: <ARN>
 * because no identity-based policy allows the <action> action", or "with an explicit deny in an
 * identity-based policy" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html),
 * named as the call's path names the service's AccessDenied, unless the service reports this
 * denial its own way (RDS and a KMS key).
 */
function accessDenied(principal: Principal, call: AwsCall, need: RequiredAuthorization, denials: RequestDenial[]): AwsErrorLike {
  const form: DenialForm = need.denial ?? ACCESS_DENIED[call.service];
  const via = call.via ?? 'aws-sdk';
  const name = via === 'sdk' ? form.sdk : via === 'optimized' ? (form.optimized ?? form.sdkIntegration) : form.sdkIntegration;
  const explicit = denials.find((d) => d.denialType === 'Explicit');
  const kind = (d: RequestDenial | undefined) => POLICY_KIND[d?.policyType ?? 'identity'] ?? String(d?.policyType);
  const article = (words: string) => (/^[aeiou]/i.test(words) ? 'an' : 'a');
  const why = explicit
    ? `with an explicit deny in ${article(kind(explicit))} ${kind(explicit)} policy`
    : `because no ${kind(denials[0])} policy allows the ${need.action} action`;
  const message = form.message ?? `User: ${principal.sessionArn} is not authorized to perform: ${need.action} on resource: ${need.resource} ${why}`;
  return { name, code: form.code, statusCode: form.statusCode, message };
}
