import { type GetExecutionHistoryCommandInput, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { Deps } from '../../cli/deps';
import { main } from '../../cli/main';
import type { RunbookAssembly } from '../../rehearsal/assembly';
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
}

export const NOW = new Date('2026-11-24T15:03:01.250Z');

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
      return { sfn: new SFNClient({ region: o.region ?? 'eu-west-1' }), sts: new STSClient({ region: o.region ?? 'eu-west-1' }) };
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
