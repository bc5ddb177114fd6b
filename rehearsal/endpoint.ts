import { type Json, lambdaArnFor, type RunbookAssembly, resolveTokens } from './assembly';
import type { Authorization } from './authorization';
import { lambdaEnvironment, loadHandler } from './dispatch';
import { ACCOUNT, REGION } from './fixtures';
import type { ApiEndpoint } from './sim/api-endpoint';
import { FunctionUrlServer, type FunctionUrlTarget } from './sim/function-url';
import type { HmacKeySpec } from './sim/kms';
import { loopbackRange } from './sim/loopback';
import { PEOPLE, personPrincipal, type SimulatedPerson } from './sim/people';

/** The function behind the template's function URL, and how the URL authenticates. */
export function endpointFunctionOf(assembly: RunbookAssembly): { logicalId: string; arn: string; authType: string; environment: Record<string, string> } {
  const resources = assembly.template.Resources;
  const urls = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url');
  const [url] = urls;
  if (urls.length !== 1 || !url?.Properties) throw new Error(`expected one function URL in the template, found ${urls.length}`);
  const target = url.Properties.TargetFunctionArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const logicalId = target?.['Fn::GetAtt']?.[0];
  const fn = logicalId ? resources[logicalId] : undefined;
  if (!logicalId || fn?.Type !== 'AWS::Lambda::Function') throw new Error('the function URL targets no function of the template');
  const variables = ((fn.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}) as Record<string, Json>;
  const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolveTokens(resources, v)]));
  return { logicalId, arn: lambdaArnFor(logicalId), authType: String(url.Properties.AuthType), environment };
}

/** The template's HMAC KMS keys, by the ARN the rehearsal resolves them to. */
export function hmacKeysOf(assembly: RunbookAssembly): HmacKeySpec[] {
  return Object.entries(assembly.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::KMS::Key' && String(r.Properties?.KeySpec ?? '').startsWith('HMAC_'))
    .map(([id, r]) => ({
      arn: resolveTokens(assembly.template.Resources, { 'Fn::GetAtt': [id, 'Arn'] }),
      keySpec: String(r.Properties?.KeySpec),
      keyUsage: String(r.Properties?.KeyUsage ?? 'ENCRYPT_DECRYPT'),
    }));
}

let server: Promise<FunctionUrlServer> | undefined;

/** This process's function URL on its own loopback range (127.N.0.0 is no task's address), started once. */
export async function functionUrlServer(): Promise<FunctionUrlServer> {
  server ??= loopbackRange().then((octet) => FunctionUrlServer.start(`127.${octet}.0.0`, () => Date.now()));
  return server;
}

/**
 * The runbook's endpoint as its function URL serves it: the people of the simulated account sign
 * their requests, IAM decides whether they may invoke the URL (their policies, rehearsal/sim/people.ts),
 * and the bundled endpoint function runs with its template environment, calling AWS as its own role.
 */
export function endpointTarget(assembly: RunbookAssembly, api: ApiEndpoint, authorization: Authorization): FunctionUrlTarget {
  const fn = endpointFunctionOf(assembly);
  if (fn.authType !== 'AWS_IAM') throw new Error(`the runbook's function URL has AuthType ${fn.authType}: the rehearsal simulates AWS_IAM only, which the endpoint relies on`);
  const bundle = assembly.lambdaBundles.get(fn.arn);
  const role = authorization.principals.lambdas.get(fn.logicalId);
  if (!bundle || !role) throw new Error(`no bundle or role for the endpoint function ${fn.logicalId}`);
  const handler = loadHandler(bundle.bundle);
  const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${assembly.config.stackName}`;
  const person = (accessKeyId: string): SimulatedPerson | undefined => Object.values(PEOPLE).find((p) => p.accessKeyId === accessKeyId);
  return {
    region: REGION,
    accountId: ACCOUNT,
    credential: (accessKeyId) => {
      const p = person(accessKeyId);
      return p ? { secretAccessKey: p.secretAccessKey, sessionToken: p.sessionToken, userArn: p.arn, userId: p.userId, accountId: ACCOUNT } : undefined;
    },
    authorize: async (credential) => {
      const p = Object.values(PEOPLE).find((x) => x.arn === credential.userArn) as SimulatedPerson;
      const decision = await authorization.authorizer.authorize(personPrincipal(p, fn.arn, stateMachineArn), {
        service: 'lambda',
        operation: 'InvokeFunctionUrl',
        params: { FunctionName: fn.arn },
        via: 'sdk',
      });
      return decision.allowed;
    },
    invoke: (event) =>
      api.as(role, async () => {
        lambdaEnvironment(api, REGION, fn.environment);
        return handler(event);
      }),
  };
}
