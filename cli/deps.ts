import type { RunbookAssembly } from '../rehearsal/assembly';
import type { AwsClients, ClientOptions, RetryPolicy } from './aws';
import type { DeploymentClients } from './discovery/clients';

export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** A terminal's width. */
  readonly columns?: number;
}

/** Everything a command touches outside itself, so tests can hand in fakes. */
export interface Deps {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clients: (options: ClientOptions) => AwsClients;
  /** Read-only clients for `init` and `check`: ECS, RDS, EC2, ELBv2, CloudFormation, KMS, STS. */
  readonly deploymentClients: (options: ClientOptions) => DeploymentClients;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
  /** The synthesized runbook, for `--local`. */
  readonly assembly: () => RunbookAssembly;
  /** Throttling back-off: attempts in all and the first wait. */
  readonly throttling: { readonly attempts: number; readonly baseMs: number };
}

export function retryPolicy(deps: Deps): RetryPolicy {
  return { ...deps.throttling, sleep: deps.sleep };
}

/** Flags every subcommand takes. */
export interface CommonOptions {
  readonly json: boolean;
  readonly profile?: string;
  readonly region?: string;
}
