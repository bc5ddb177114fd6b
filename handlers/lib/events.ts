import { asRecord, optionalString, requireInteger, requireString } from './validate';

const BASE_URL = /^https?:\/\/[^\s/]+(:\d+)?(\/[^\s]*)?$/;

/** `{ baseUrl, timeoutMs }`: what every HTTP handler is told by the state machine. */
export function parseHttpTarget(event: unknown): { baseUrl: string; timeoutMs: number } {
  const o = asRecord(event, 'event');
  return {
    baseUrl: requireString(o, 'baseUrl', { pattern: BASE_URL, expected: 'an http:// or https:// base URL' }).replace(/\/+$/, ''),
    timeoutMs: requireInteger(o, 'timeoutMs', { min: 100, max: 900_000 }),
  };
}

export { asRecord, optionalString, requireString };
