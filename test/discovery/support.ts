import { main } from '../../cli/main';
import type { Deps } from '../../cli/deps';
import type { DeploymentClients } from '../../cli/discovery/clients';
import type { Moto } from '../support/moto';
import { REGION } from './shapes';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One command line of the operator CLI, its deployment clients pointed at moto (and changed by `adjust`, if given). */
export async function runCli(moto: Moto, argv: readonly string[], adjust?: (clients: DeploymentClients) => void): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    clients: () => {
      throw new Error('init and check use the deployment clients only');
    },
    deploymentClients: (options) => {
      const clients = moto.clients(options.region ?? REGION);
      adjust?.(clients);
      return clients;
    },
    sleep: async () => undefined,
    now: () => new Date('2026-11-25T10:00:00Z'),
    assembly: () => {
      throw new Error('these tests do not rehearse');
    },
    throttling: { attempts: 2, baseMs: 1 },
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr };
}
