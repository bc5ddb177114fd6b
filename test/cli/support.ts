import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { type GetExecutionHistoryCommandInput, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import type { Deps } from '../../cli/deps';
import { main } from '../../cli/main';
import type { RunbookAssembly } from '../../rehearsal/assembly';
import { FunctionUrlServer } from '../../rehearsal/sim/function-url';
import { pages } from './fixtures/histories';

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The back-offs and poll intervals the command waited, in ms. */
  readonly sleeps: number[];
  /** The region each set of clients was made for. */
  readonly regions: (string | undefined)[];
}

export interface FakeOptions {
  readonly env?: Record<string, string>;
  readonly now?: Date;
  readonly tty?: boolean;
  /** Called on every sleep: lets a test grow the history between polls. */
  readonly onSleep?: (ms: number) => void;
  readonly assembly?: () => RunbookAssembly;
  /** The operator's credentials (default OPERATOR_CREDENTIALS). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The operator's credentials in the CLI tests: explicit and fake, never the machine's. */
export const OPERATOR_CREDENTIALS = { accessKeyId: 'AKIAOPERATORTEST0001', secretAccessKey: 'operator/test/not-a-real-secret' };

export const NOW = new Date('2026-11-24T15:03:01.250Z');

/** A request the stand-in endpoint received, as the function behind a function URL receives it. */
export type EndpointEvent = { rawPath: string; body: string; requestContext: { authorizer: { iam: { userArn: string; accessKey: string } } } };

export interface EndpointStub {
  readonly url: string;
  readonly events: EndpointEvent[];
  close(): Promise<void>;
}

/**
 * The runbook's endpoint as the CLI meets it: a function URL (AWS_IAM) on loopback that checks
 * every request's SigV4 signature strictly and knows the operator's test credentials as `callerArn`;
 * the function behind it records the event and answers as `answer` says.
 */
export async function startEndpoint(callerArn: string, answer: (event: EndpointEvent) => { status: number; body: unknown }): Promise<EndpointStub> {
  const server = await FunctionUrlServer.start('127.0.0.1');
  const events: EndpointEvent[] = [];
  server.target = {
    region: 'eu-west-1',
    accountId: '111122223333',
    credential: (key) =>
      key === OPERATOR_CREDENTIALS.accessKeyId
        ? { secretAccessKey: OPERATOR_CREDENTIALS.secretAccessKey, userArn: callerArn, userId: 'AIDAOPERATOR', accountId: '111122223333' }
        : undefined,
    authorize: async () => true,
    invoke: async (event) => {
      events.push(event as unknown as EndpointEvent);
      const { status, body } = answer(event as unknown as EndpointEvent);
      return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    },
  };
  return { url: server.url, events, close: () => server.close() };
}

/** Runs one command line with fake streams, clock and sleep; the AWS clients are whatever aws-sdk-client-mock made of them. */
export async function runCli(argv: string[], options: FakeOptions = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const sleeps: number[] = [];
  const regions: (string | undefined)[] = [];
  const deps: Deps = {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    clients: (o) => {
      regions.push(o.region);
      const region = o.region ?? 'eu-west-1';
      return {
        sfn: new SFNClient({ region }),
        cloudformation: new CloudFormationClient({ region }),
        credentials: async () => options.credentials ?? OPERATOR_CREDENTIALS,
        region: async () => region,
      };
    },
    deploymentClients: () => {
      throw new Error('this test reads no deployment');
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      options.onSleep?.(ms);
    },
    now: () => options.now ?? NOW,
    assembly: options.assembly ?? (() => {
      throw new Error('this test does not rehearse');
    }),
    throttling: { attempts: 4, baseMs: 100 },
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr, sleeps, regions };
}

/**
 * Answers GetExecutionHistory from a history as the API would: oldest first in pages of `pageSize`
 * linked by nextToken, or newest first with reverseOrder. `visible()` says how much of it exists yet.
 */
export function historyResponder(events: readonly HistoryEvent[], pageSize = 25, visible: () => number = () => events.length) {
  return (input: GetExecutionHistoryCommandInput) => {
    const shown = events.slice(0, visible());
    const ordered = input.reverseOrder ? [...shown].reverse() : shown;
    const all = pages(ordered, Math.min(pageSize, input.maxResults ?? pageSize));
    const index = input.nextToken ? Number(input.nextToken.replace('page-', '')) - 1 : 0;
    return all[index] ?? { events: [] };
  };
}
