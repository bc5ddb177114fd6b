import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './aws-error';
import { renameKeys } from '../../handlers/lib/sdk-casing';
import type { SimulatedEcs } from './ecs';
import type { Authorizer, Principal } from './iam';

/**
 * The ECS JSON API on 127.0.0.1, for the handlers that call ECS with the AWS SDK themselves
 * (registering a task definition revision, finding a task). Their SDK clients are pointed here
 * with AWS_ENDPOINT_URL_ECS; every call is authorized for the calling function's role.
 * One endpoint per process, serving whichever simulated deployment is rehearsing now.
 */
export class EcsEndpoint {
  private static instance: Promise<EcsEndpoint> | undefined;
  target: SimulatedEcs | undefined;
  /** The role of the function calling now, and how to authorize it (set by the dispatcher). */
  caller: Principal | undefined;
  authorizer: Authorizer | undefined;

  private constructor(readonly url: string) {}

  static get(): Promise<EcsEndpoint> {
    EcsEndpoint.instance ??= EcsEndpoint.start();
    return EcsEndpoint.instance;
  }

  private static async start(): Promise<EcsEndpoint> {
    const holder: { endpoint?: EcsEndpoint } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const action = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        const reply = (status: number, body: unknown) =>
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', connection: 'close' }).end(JSON.stringify(body));
        const endpoint = holder.endpoint;
        const ecs = endpoint?.target;
        void (async () => {
          try {
            if (!ecs || !endpoint) throw new AwsError('Ecs.ServerException', 'no simulated deployment is rehearsing');
            const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
            if (!endpoint.caller || !endpoint.authorizer) throw new AwsError('Ecs.ServerException', "no caller: only the runbook's functions call ECS here");
            const decision = await endpoint.authorizer.authorize(endpoint.caller, { service: 'ecs', operation: action, params: input, via: 'sdk' });
            if (!decision.allowed) return reply(decision.error.statusCode, { __type: decision.error.code, message: decision.error.message });
            if (action === 'DescribeTaskDefinition') return reply(200, ecs.findTaskDefinition(String(input.taskDefinition)));
            if (action === 'RegisterTaskDefinition') {
              const taskDefinition = ecs.registerTaskDefinition(input as unknown as RegisterTaskDefinitionCommandInput);
              return reply(200, { taskDefinition, tags: input.tags ?? [] });
            }
            // The same simulated ECS the state machine's SDK calls reach, in the API's own casing.
            if (action === 'ListTasks' || action === 'DescribeTasks') {
              const answer = action === 'ListTasks' ? ecs.listTasks(renameKeys(input, upperFirst) as never) : ecs.describeTasks(renameKeys(input, upperFirst) as never);
              return reply(200, renameKeys(answer, lowerFirst));
            }
            throw new AwsError('Ecs.ClientException', `${action} is not simulated`);
          } catch (err) {
            const name = err instanceof Error ? err.name.replace(/^Ecs\./, '') : 'ServerException';
            return reply(400, { __type: name, message: err instanceof Error ? err.message : String(err) });
          }
        })();
      });
    });
    server.unref();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = new EcsEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    holder.endpoint = endpoint;
    return endpoint;
  }
}

const upperFirst = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);
const lowerFirst = (k: string) => k.charAt(0).toLowerCase() + k.slice(1);
