import { type Json, resolveTokens, resolveTokensDeep, type Template } from '../assembly';
import { ACCOUNT } from './deployment';

/** An IAM policy document, tokens resolved. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Id?: string;
  readonly Statement: Json;
}

/** Who makes a simulated call: a role of the template, in the session AWS opens for the caller. */
export interface Principal {
  /** What assumes the role: the state machine or a Lambda function, by logical id. */
  readonly caller: string;
  readonly roleLogicalId: string;
  readonly roleArn: string;
  /** The caller's credentials: `arn:aws:sts::<account>:assumed-role/<role name>/<session>`. */
  readonly sessionArn: string;
  /** Every identity policy of the role: inline, attached AWS::IAM::Policy, managed. */
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

export interface Principals {
  /** The state machine's role, for every Task it runs (the template has exactly one state machine). */
  readonly stateMachine: Principal;
  /** Each Lambda function's role, by the function's logical id. */
  readonly lambdas: ReadonlyMap<string, Principal>;
  /** Resource policies the template defines, by the ARN of what they protect: KMS key policies, SNS topic policies. */
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument>;
}

/**
 * AWS managed policies are not in the template, only their ARNs. The runbook's roles get the two
 * Lambda execution policies, which allow CloudWatch Logs and network-interface actions only (none
 * of the calls the rehearsal simulates); they are evaluated with their published documents all the
 * same, so a simulated call is never allowed or denied by leaving them out. Any other AWS managed
 * policy throws: its document must be added here before a rehearsal can trust its role.
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
 */
const LOGS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
export const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: LOGS, Resource: '*' }],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLambdaVPCAccessExecutionPermissions',
        Effect: 'Allow',
        Action: [
          ...LOGS,
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

type Resources = Template['Resources'];
const list = (value: Json | undefined): Json[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
const refOf = (value: Json): string | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/**
 * The callers of the template's roles and what their roles allow. Tokens are resolved by the same
 * rules as the definition (`resolveTokens`), so an ARN in a policy names what the rehearsal calls.
 */
export function principalsFromTemplate(template: Template): Principals {
  const resources = template.Resources;
  const roles = new Map(ofType(resources, 'AWS::IAM::Role').map(([id]) => [id, rolePolicies(resources, id)]));
  const principalFor = (caller: string, roleToken: Json | undefined, session: string): Principal => {
    const roleArn = resolveTokens(resources, roleToken);
    const roleLogicalId = [...roles.keys()].find((id) => resolveTokens(resources, { 'Fn::GetAtt': [id, 'Arn'] }) === roleArn);
    if (!roleLogicalId) throw new Error(`${caller} acts as ${roleArn}, which is not a role of the template`);
    const roleName = resolveTokens(resources, { Ref: roleLogicalId });
    return {
      caller,
      roleLogicalId,
      roleArn,
      sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`,
      policies: roles.get(roleLogicalId) ?? [],
    };
  };

  const machines = ofType(resources, 'AWS::StepFunctions::StateMachine');
  const [machine] = machines;
  if (machines.length !== 1 || !machine) throw new Error(`expected exactly one state machine, found ${machines.length}`);
  // Step Functions names its session with 32 random letters; the rehearsal's is the machine's name,
  // so that messages are the same from run to run.
  const machineName = resolveTokens(resources, { 'Fn::GetAtt': [machine[0], 'Name'] });
  const stateMachine = principalFor(machine[0], machine[1].Properties?.RoleArn, machineName);
  // Lambda's session is named after the function.
  const lambdas = new Map(
    ofType(resources, 'AWS::Lambda::Function').map(([id, fn]) => [id, principalFor(id, fn.Properties?.Role, resolveTokens(resources, { Ref: id }))]),
  );
  return { stateMachine, lambdas, resourcePolicies: resourcePolicies(resources) };
}

/** Inline policies, every AWS::IAM::Policy or AWS::IAM::ManagedPolicy naming the role, and its managed policy ARNs. */
function rolePolicies(resources: Resources, roleId: string): Principal['policies'] {
  const role = resources[roleId]?.Properties ?? {};
  const document = (value: Json | undefined) => resolveTokensDeep(resources, value) as unknown as PolicyDocument;
  const inline = list(role.Policies).map((p) => {
    const policy = p as { PolicyName: Json; PolicyDocument: Json };
    return { name: resolveTokens(resources, policy.PolicyName), document: document(policy.PolicyDocument) };
  });
  const attaching = (type: string) =>
    ofType(resources, type)
      .filter(([, p]) => list(p.Properties?.Roles).some((r) => refOf(r) === roleId))
      .map(([id, p]) => ({ name: id, document: document(p.Properties?.PolicyDocument) }));
  const managed = list(role.ManagedPolicyArns).flatMap((arnToken) => {
    const inTemplate = refOf(arnToken);
    if (inTemplate && resources[inTemplate]?.Type === 'AWS::IAM::ManagedPolicy') {
      // Attached from the role's side; the policy's own Roles list is read above, so count it once.
      const attachedBothWays = list(resources[inTemplate]?.Properties?.Roles).some((r) => refOf(r) === roleId);
      return attachedBothWays ? [] : [{ name: inTemplate, document: document(resources[inTemplate]?.Properties?.PolicyDocument) }];
    }
    const arn = resolveTokens(resources, arnToken);
    const known = AWS_MANAGED_POLICIES[arn];
    if (!known) throw new Error(`role ${roleId} has managed policy ${arn}, whose document the rehearsal does not know`);
    return [{ name: arn, document: known }];
  });
  return [...inline, ...attaching('AWS::IAM::Policy'), ...attaching('AWS::IAM::ManagedPolicy'), ...managed];
}

/** KMS key policies by key ARN, SNS topic policies by topic ARN (statements of several policies on one topic merged). */
function resourcePolicies(resources: Resources): Map<string, PolicyDocument> {
  const out = new Map<string, PolicyDocument>();
  for (const [id, key] of ofType(resources, 'AWS::KMS::Key')) {
    out.set(resolveTokens(resources, { 'Fn::GetAtt': [id, 'Arn'] }), resolveTokensDeep(resources, key.Properties?.KeyPolicy) as unknown as PolicyDocument);
  }
  for (const [, policy] of ofType(resources, 'AWS::SNS::TopicPolicy')) {
    const document = resolveTokensDeep(resources, policy.Properties?.PolicyDocument) as unknown as PolicyDocument;
    for (const topic of list(policy.Properties?.Topics)) {
      const arn = resolveTokens(resources, topic);
      const before = out.get(arn);
      out.set(arn, before ? { ...before, Statement: [...list(before.Statement), ...list(document.Statement)] } : document);
    }
  }
  return out;
}
