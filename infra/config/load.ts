import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/**
 * Every problem in a configuration, reported at once: an operator fixing a config file should not
 * have to run `cdk synth` once per typo.
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `a.b[2].c` for zod's path, so the message names the key exactly as it appears in the file. */
export function keyName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Validates `raw` against `schema`, turning zod's issues into one ConfigError that names each key. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) =>
    // One line per unknown key, named by its full path, so a typo is found by searching the file.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${keyName([...issue.path, key])}: unknown key`)
      : [`${keyName(issue.path)}: ${issue.message}`],
  );
  throw new ConfigError(source, problems);
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as Error).message})`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(path, [`not valid JSON (${(err as Error).message})`]);
  }
}
