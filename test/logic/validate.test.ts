import { parseHttpTarget } from '../../handlers/lib/events';
import { describe as describeValue, optionalString, rejectUnknownKeys, requireInteger, requireString } from '../../handlers/lib/validate';

describe('event checks: every rejection names the field, exactly', () => {
  it('names the key alone when no prefix is given, and with the prefix otherwise', () => {
    expect(() => requireString({}, 'changeId')).toThrow(/^changeId: expected a non-empty string, got nothing$/);
    expect(() => requireInteger({}, 'timeoutMs', { min: 1, max: 2 })).toThrow(/^timeoutMs: expected an integer from 1 to 2, got nothing$/);
    expect(() => requireInteger({}, 'n', { prefix: 'waits.' })).toThrow(/^waits\.n: /);
  });

  it.each([
    [100, true],
    [900_000, true],
    [99, false],
    [900_001, false],
    [150.5, false],
  ])('takes the integer %d between 100 and 900000: %s', (value, ok) => {
    const check = () => requireInteger({ timeoutMs: value }, 'timeoutMs', { min: 100, max: 900_000 });
    if (ok) expect(check()).toBe(value);
    else expect(check).toThrow('timeoutMs: expected an integer from 100 to 900000');
  });

  // The runbook endpoint's requests (handlers/logic/endpoint.ts) refuse unknown fields with it.
  it('lists every unknown field, comma separated', () => {
    expect(() => rejectUnknownKeys({ a: 1, b: 2 }, ['c'], 'input.')).toThrow(/^input\.a, input\.b: unknown field; expected only c$/);
  });

  it('takes an optional field given as null as not given, and checks one that is given', () => {
    expect(optionalString({ minimumVersion: null }, 'minimumVersion')).toBeUndefined();
    expect(optionalString({}, 'minimumVersion')).toBeUndefined();
    expect(() => optionalString({ minimumVersion: 5 }, 'minimumVersion')).toThrow(/^minimumVersion: expected a non-empty string, got number 5$/);
  });

  it.each([
    ['a'.repeat(80), JSON.stringify('a'.repeat(80))],
    ['a'.repeat(81), JSON.stringify(`${'a'.repeat(80)}…`)],
    [5, 'number 5'],
    [true, 'boolean true'],
    [{}, 'an object'],
    [[], 'an array'],
  ])('describes %j as %j', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });

  it.each([
    ['http://internal-lb.example', 'http://internal-lb.example'],
    ['http://internal-lb:8082/metaflow/', 'http://internal-lb:8082/metaflow'],
    ['https://10.0.0.1:8080/a/b', 'https://10.0.0.1:8080/a/b'],
  ])('takes the base URL %s (port and path optional) as %s', (baseUrl, taken) => {
    expect(parseHttpTarget({ baseUrl, timeoutMs: 1000 }).baseUrl).toBe(taken);
  });

  it('refuses a scheme that merely ends in http', () => {
    expect(() => parseHttpTarget({ baseUrl: 'xhttp://127.0.0.1', timeoutMs: 1000 })).toThrow(/^baseUrl: expected an http:\/\/ or https:\/\/ base URL/);
  });
});
