import { createHash } from 'node:crypto';
import type { RunbookConfig } from './runbook';

/** The runbook stack's output that names the configuration it was deployed from; `check` reads it. */
export const CONFIG_VERSION_OUTPUT = 'ConfigVersion';
/** The stack output the CLI reads the runbook endpoint's URL from. */
export const ENDPOINT_URL_OUTPUT = 'EndpointUrl';

/** JSON with every object's keys sorted, so equal configurations serialize alike whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A short hash of a parsed configuration (defaults applied): the stack carries it as an output, and
 * `check` compares it with the file it is given, so "deployed from this file" is a fact, not a hope.
 */
export function configVersion(config: RunbookConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 12);
}
