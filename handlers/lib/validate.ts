import { InvalidHandlerEvent } from './errors';

/**
 * Tiny structural checks for handler events. Handlers are bundled into Lambda, so they avoid a schema
 * library: each check names the field it rejects, which is what an operator needs in the history.
 */
export type ErrorFactory = new (message: string) => Error;

export function asRecord(value: unknown, field: string, error: ErrorFactory = InvalidHandlerEvent): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new error(`${field}: expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function requireString(
  obj: Record<string, unknown>,
  key: string,
  opts: { pattern?: RegExp; expected?: string; prefix?: string; error?: ErrorFactory } = {},
): string {
  const error = opts.error ?? InvalidHandlerEvent;
  const value = obj[key];
  const name = `${opts.prefix ?? ''}${key}`;
  if (typeof value !== 'string' || value.length === 0) {
    throw new error(`${name}: expected ${opts.expected ?? 'a non-empty string'}, got ${describe(value)}`);
  }
  if (opts.pattern && !opts.pattern.test(value)) {
    throw new error(`${name}: expected ${opts.expected ?? `a string matching ${opts.pattern}`}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function optionalString(
  obj: Record<string, unknown>,
  key: string,
  opts: { pattern?: RegExp; expected?: string; prefix?: string; error?: ErrorFactory } = {},
): string | undefined {
  if (obj[key] === undefined || obj[key] === null) return undefined;
  return requireString(obj, key, opts);
}

export function requireInteger(
  obj: Record<string, unknown>,
  key: string,
  opts: { min?: number; max?: number; prefix?: string; error?: ErrorFactory } = {},
): number {
  const error = opts.error ?? InvalidHandlerEvent;
  const value = obj[key];
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new error(`${opts.prefix ?? ''}${key}: expected an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

export function rejectUnknownKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
  error: ErrorFactory = InvalidHandlerEvent,
): void {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new error(`${unknown.map((k) => `${where}${k}`).join(', ')}: unknown field; expected only ${allowed.join(', ')}`);
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
