import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PRECONDITIONS } from '../../cli/discovery/preconditions';
import { DEFAULT_OUT } from '../../cli/init';
import { describeWithMoto, useMoto } from '../support/moto';
import { deploy, synthesize } from './deploy';
import { cloudformationShape, REGION } from './shapes';
import { runCli } from './support';

const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The command lines of the README's "Your deployment" walkthrough block, comments dropped. */
function walkthrough(): string[] {
  const marker = README.indexOf('<!-- walkthrough:');
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(marker))?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** IAM actions of every AWS command `init` and `check` send: `@aws-sdk/client-<x>` imports of cli/discovery. */
function discoveryActions(): string[] {
  const prefix: Record<string, string> = { 'elastic-load-balancing-v2': 'elasticloadbalancing' };
  const dir = path.join(__dirname, '..', '..', 'cli', 'discovery');
  const actions = new Set<string>();
  for (const file of readdirSync(dir)) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    for (const [, names = '', client = ''] of source.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const [, command] of names.matchAll(/\b([A-Z]\w+)Command\b/g)) actions.add(`${prefix[client] ?? client}:${command}`);
    }
  }
  return [...actions].sort();
}

describe('the README\'s "Your deployment" section', () => {
  it('lists every action init and check need', () => {
    const actions = discoveryActions();
    expect(actions.length).toBeGreaterThan(15);
    for (const action of actions) expect(README).toContain(`\`${action}\``);
  });

  it('explains every precondition check reports', () => {
    for (const name of PRECONDITIONS) expect(README).toContain(`| \`${name}\` |`);
  });
});

describeWithMoto('the README\'s "Your deployment" walkthrough, followed against the AWS API emulator', () => {
  const env = useMoto('runbook-walkthrough-');

  it('goes from the guide\'s CloudFormation deployment to a deployed runbook whose every precondition holds', async () => {
    // Prepare: the deployment the guide's template makes, and where the walkthrough's file goes.
    const built = await cloudformationShape(env.moto.clients(REGION));
    const file = path.join(env.dir, 'deployment.json');
    expect(DEFAULT_OUT).toBe('config/deployment.json');
    const local = (line: string) => line.replaceAll(DEFAULT_OUT, file);

    // Act: each line as the operator types it, in order.
    const done: string[] = [];
    for (const line of walkthrough()) {
      const words = local(line).split(/\s+/);
      if (line.startsWith('npm run runbook -- ')) {
        const args = words.slice(4);
        if (args[0] === 'init' && !args.includes('--out')) args.push('--out', file);
        const run = await runCli(env.moto, args);
        expect({ line, code: run.code, stderr: run.stderr }).toEqual({ line, code: 0, stderr: '' });
        if (args[0] === 'check') expect(run.stdout).toContain(`All ${PRECONDITIONS.length} preconditions hold.`);
      } else if (line.startsWith('npx cdk synth ')) {
        const { template } = synthesize(file);
        expect(Object.values(template.Resources).map((r) => r.Type)).toContain('AWS::StepFunctions::StateMachine');
      } else if (line.startsWith('npx cdk bootstrap')) {
        // Nothing in the emulated account needs the bootstrap stack: deploy below writes the stack directly.
      } else if (line.startsWith('npx cdk deploy ')) {
        await deploy(env.moto.clients(REGION), synthesize(file));
      } else {
        throw new Error(`the walkthrough has a line this test does not know how to follow: ${line}`);
      }
      done.push(words[1] === 'run' ? `runbook ${words[4]}` : `cdk ${words[2]}`);
    }

    // Assess: every step ran, and what init found is the guide's deployment.
    expect(done).toEqual(['runbook init', 'cdk synth', 'cdk bootstrap', 'cdk deploy', 'runbook check']);
    expect(JSON.parse(readFileSync(file, 'utf8')).deployment).toMatchObject(built.expected.deployment);
  }, 30_000); // About 5 s alone; a walk through every command against moto, slower on a loaded machine.
});
