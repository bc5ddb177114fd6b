import { InvalidHandlerEvent } from './errors';
import { asRecord, optionalString, requireInteger, requireString } from './validate';

const BASE_URL = /^https?:\/\/[^\s/]+(:\d+)?(\/[^\s]*)?$/;

/** `{ baseUrl, timeoutMs }`: what every HTTP handler is told by the state machine. */
export function parseHttpTarget(event: unknown): { baseUrl: string; timeoutMs: number } {
  const o = asRecord(event, 'event');
  const baseUrl = requireString(o, 'baseUrl', { pattern: BASE_URL, expected: 'an http:// or https:// base URL' }).replace(/\/+$/, '');
  try {
    // The pattern admits a few strings the URL parser refuses (port 99999): reject them here, or
    // the failure would surface later looking like an unreachable service.
    new URL(baseUrl);
  } catch {
    throw new InvalidHandlerEvent(`baseUrl: expected an http:// or https:// base URL, got ${JSON.stringify(baseUrl)}`);
  }
  return { baseUrl, timeoutMs: requireInteger(o, 'timeoutMs', { min: 100, max: 900_000 }) };
}

export { asRecord, optionalString, requireString };
