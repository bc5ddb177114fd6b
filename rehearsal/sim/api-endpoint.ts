import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './aws-error';
import { renameKeys } from '../../handlers/lib/sdk-casing';
import type { SimulatedDeployment } from './deployment';
import type { Authorizer, IamService, Principal } from './iam';

type Operations = Readonly<Record<string, (deployment: SimulatedDeployment, input: Record<string, unknown>) => unknown>>;

const upperFirst = (k: string) => k.charAt(0).toUpperCase() + k.slice(1);
const lowerFirst = (k: string) => k.charAt(0).toLowerCase() + k.slice(1);

/** Every JSON-protocol API the functions call themselves, by the X-Amz-Target prefix their SDK clients send. */
const SERVICES: Readonly<Record<string, { readonly iam: IamService; readonly operations: Operations }>> = {
  AmazonEC2ContainerServiceV20141113: {
    iam: 'ecs',
    operations: {
      DescribeTaskDefinition: (d, input) => d.ecs.findTaskDefinition(String(input.taskDefinition)),
      RegisterTaskDefinition: (d, input) => ({ taskDefinition: d.ecs.registerTaskDefinition(input as unknown as RegisterTaskDefinitionCommandInput), tags: input.tags ?? [] }),
      // The same simulated ECS the state machine's SDK calls reach, in the API's own casing.
      ListTasks: (d, input) => renameKeys(d.ecs.listTasks(renameKeys(input, upperFirst) as never), lowerFirst),
      DescribeTasks: (d, input) => renameKeys(d.ecs.describeTasks(renameKeys(input, upperFirst) as never), lowerFirst),
    },
  },
  AWSStepFunctions: {
    iam: 'states',
    operations: {
      StartExecution: (d, input) => d.sfn.startExecution(input),
      GetExecutionHistory: (d, input) => d.sfn.getExecutionHistory(input),
      SendTaskSuccess: (d, input) => d.sfn.sendTaskSuccess(input),
      SendTaskFailure: (d, input) => d.sfn.sendTaskFailure(input),
    },
  },
  TrentService: {
    iam: 'kms',
    operations: {
      GenerateMac: (d, input) => d.kms.generateMac(input),
      VerifyMac: (d, input) => d.kms.verifyMac(input),
    },
  },
};

/**
 * The AWS JSON APIs on 127.0.0.1 for the functions that call AWS with the SDK themselves: ECS
 * (registering a task definition revision, finding a task), Step Functions and KMS (the runbook's
 * endpoint and the identity verifier). Their SDK clients are pointed here with
 * AWS_ENDPOINT_URL_<SERVICE>; every call is authorized for the calling function's role. One
 * endpoint per process, serving whichever simulated deployment is rehearsing now.
 */
export class ApiEndpoint {
  private static instance: Promise<ApiEndpoint> | undefined;
  target: SimulatedDeployment | undefined;
  /** The role of the function calling now, and how to authorize it (set by the dispatcher). */
  caller: Principal | undefined;
  authorizer: Authorizer | undefined;

  private constructor(readonly url: string) {}

  static get(): Promise<ApiEndpoint> {
    ApiEndpoint.instance ??= ApiEndpoint.start();
    return ApiEndpoint.instance;
  }

  /** Points the AWS SDK clients of the functions this process runs at this endpoint. */
  environment(): Record<string, string> {
    return { AWS_ENDPOINT_URL_ECS: this.url, AWS_ENDPOINT_URL_SFN: this.url, AWS_ENDPOINT_URL_KMS: this.url };
  }

  /** Runs `work` with the endpoint's calls made as `caller`, then puts the previous caller back. */
  async as<T>(caller: Principal, work: () => Promise<T>): Promise<T> {
    const before = this.caller;
    this.caller = caller;
    try {
      return await work();
    } finally {
      this.caller = before;
    }
  }

  private static async start(): Promise<ApiEndpoint> {
    const holder: { endpoint?: ApiEndpoint } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [prefix = '', action = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
        const reply = (status: number, body: unknown) =>
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', connection: 'close' }).end(JSON.stringify(body));
        const endpoint = holder.endpoint;
        const deployment = endpoint?.target;
        const service = SERVICES[prefix];
        void (async () => {
          try {
            if (!deployment || !endpoint) throw new AwsError('ServerException', 'no simulated deployment is rehearsing');
            if (!service) throw new AwsError('UnknownOperationException', `${prefix} is not simulated`);
            const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
            if (!endpoint.caller || !endpoint.authorizer) throw new AwsError('ServerException', "no caller: only the runbook's functions call AWS here");
            const operation = service.operations[action];
            if (!operation) throw new AwsError('UnknownOperationException', `${action} is not simulated`);
            const decision = await endpoint.authorizer.authorize(endpoint.caller, { service: service.iam, operation: action, params: input, via: 'sdk' });
            if (!decision.allowed) return reply(decision.error.statusCode, { __type: decision.error.code, message: decision.error.message });
            return reply(200, operation(deployment, input));
          } catch (err) {
            // AWS errors on the wire carry the bare exception name: `Ecs.ClientException` is `ClientException`.
            const name = err instanceof Error ? err.name.replace(/^\w+\./, '') : 'ServerException';
            return reply(400, { __type: name, message: err instanceof Error ? err.message : String(err) });
          }
        })();
      });
    });
    server.unref();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = new ApiEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    holder.endpoint = endpoint;
    return endpoint;
  }
}
