import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../cli/support';

/** test/cli/support's deployment clients throw when made: exit 2 with these messages proves no AWS call was attempted. */
describe('init refuses bad flags before any AWS call', () => {
  let dir: string;
  let existing: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runbook-init-flags-'));
    existing = path.join(dir, 'deployment.json');
    writeFileSync(existing, '{}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a cluster name with a space', ['--cluster', 'metaflow prod'], '--cluster: expected an ECS cluster name, got "metaflow prod"'],
    ['a service without its cluster', ['--service', 'metadata-service'], '--service: needs --cluster too'],
    ['a security group that is not an sg- id', ['--service-security-group', 'metaflow'], "--service-security-group: expected the Fargate service's security group id"],
    ['a stack name CloudFormation refuses', ['--stack-name', '1runbook'], '--stack-name: expected a CloudFormation stack name'],
    ['an output file that is not JSON', ['--out', 'deployment.yaml'], '--out: expected a .json file'],
    ['an output file in a directory that does not exist', ['--out', '/nonexistent/dir/deployment.json'], '--out: the directory /nonexistent/dir does not exist'],
    ['an unknown flag', ['--clsuter', 'metaflow'], "Unknown option '--clsuter'"],
  ])('%s', async (_what, flags, message) => {
    const run = await runCli(['init', ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('keeps an existing file unless --force is given', async () => {
    const run = await runCli(['init', '--out', existing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out: ${existing} exists; pass --force to replace it`);
  });

  it('reports every bad flag at once', async () => {
    const run = await runCli(['init', '--cluster', 'a b', '--stack-name', '1x', '--out', 'x.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('3 problems:');
  });
});
