import { checkServiceVersion } from '../../handlers/logic/service-version';
import { compareVersions, parseVersion } from '../../handlers/logic/versions';
import { UnexpectedResponse } from '../../handlers/lib/errors';

describe('versions: what counts as a version, and which is newer', () => {
  it.each([
    ['2.0.2', [2, 0, 2]],
    ['v2.5.1', [2, 5, 1]],
    ['10.2.0', [10, 2, 0]],
    ['  2.0.2\n', [2, 0, 2]],
    ['2.5.1-rc12', [2, 5, 1]],
    ['2.5.1+build.7', [2, 5, 1]],
  ])('reads %j as %j', (text, parts) => {
    expect(parseVersion(text)).toEqual(parts);
  });

  it.each(['x2.0.2', '2.0.2x', '2.0.2-', '2.0.2 rc', 'latest', '', '1.2.3.4.5'])('refuses %j', (text) => {
    expect(parseVersion(text)).toBeNull();
  });

  it.each([
    [[2, 0], [2, 0, 1], -1],
    [[2, 0, 1], [2, 0], 1],
    [[2, 0], [2, 0, 0], 0],
    [[2, 10, 0], [2, 9, 1], 1],
  ])('compares %j with %j as %d, missing parts counting as 0', (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
  });
});

describe('checkServiceVersion: GET /version against the minimum', () => {
  const answering = (body: string) => async () => ({ status: 200, body });

  it('takes a version answered as a JSON string', async () => {
    await expect(checkServiceVersion({ baseUrl: 'http://t', timeoutMs: 100, minimumVersion: '2.0.2' }, answering('"2.5.1"'))).resolves.toEqual({
      version: '2.5.1',
      minimumVersion: '2.0.2',
    });
  });

  it('refuses a quote inside the version: only the enclosing quotes of a JSON string are removed', async () => {
    await expect(checkServiceVersion({ baseUrl: 'http://t', timeoutMs: 100 }, answering('2."5.1'))).rejects.toThrow(UnexpectedResponse);
  });

  it('names a minimum that is not a version instead of comparing against it', async () => {
    const failure = checkServiceVersion({ baseUrl: 'http://t', timeoutMs: 100, minimumVersion: 'latest' }, answering('2.5.1'));

    await expect(failure).rejects.toThrow(UnexpectedResponse);
    await expect(failure).rejects.toThrow('minimum version "latest" is not a version');
  });
});
