import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import example from '../config/example.json';
import { EXAMPLE_REFUSAL } from '../infra/app-guards';
import { buildApp } from '../infra/app';
import { ConfigError, configVersion, parseRunbookConfig } from '../infra/config';
import { RunbookStack } from '../infra/runbook-stack';

/**
 * The app as `cdk synth -c key=value` runs it, in process. An empty `aws:cdk:bundling-stacks` is what
 * the CDK CLI passes to skip bundling (the handlers' code is not what these tests read).
 */
function synthApp(context: Record<string, unknown>): { stack: RunbookStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const stack = buildApp(app);
  return { stack, template: Template.fromStack(stack) };
}

function configErrorOf(act: () => unknown): ConfigError {
  try {
    act();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('the CDK app', () => {
  let dir: string;
  let ownConfig: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'runbook-app-'));
    ownConfig = path.join(dir, 'deployment.json');
    writeFileSync(ownConfig, JSON.stringify({ ...example, deployment: { ...example.deployment, clusterName: 'metaflow-prod' } }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['conifg', 'config'],
    ['Config', 'config'],
    ['schedulingconfig', 'schedulingConfig'],
    ['shedulingConfig', 'schedulingConfig'],
  ])('refuses the unknown context key %s, naming %s', (typo, meant) => {
    const error = configErrorOf(() => synthApp({ [typo]: 'config/example.json' }));
    expect(error.problems).toEqual([`${typo}: unknown context key; did you mean ${meant}? (this app reads config, schedulingConfig)`]);
  });

  it('refuses an unknown context key that resembles none it reads, listing the ones it reads', () => {
    const error = configErrorOf(() => synthApp({ region: 'eu-west-1' }));
    expect(error.problems).toEqual(['region: unknown context key (this app reads config, schedulingConfig)']);
  });

  it("accepts the CDK's own context keys: its settings, feature flags and cached lookups", () => {
    expect(() =>
      synthApp({
        config: ownConfig,
        'aws:cdk:enable-path-metadata': true,
        '@aws-cdk/core:failSynthOnValidationErrors': true,
        'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
      }),
    ).not.toThrow();
  });

  it('synthesizes the example configuration with a rule that makes CloudFormation refuse to deploy it', () => {
    // Act
    const { template } = synthApp({});

    // Assess: the assertion can never hold, and its description is what CloudFormation answers.
    const rules = template.toJSON().Rules as Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>;
    expect(rules.RefuseExampleConfiguration?.Assertions).toEqual([
      { Assert: { 'Fn::Equals': [{ Ref: 'ExampleConfiguration' }, 'deployable'] }, AssertDescription: EXAMPLE_REFUSAL },
    ]);
    expect(template.toJSON().Parameters.ExampleConfiguration).toMatchObject({ Default: 'not-deployable', AllowedValues: ['not-deployable'] });
  });

  it('deploys an unedited copy of the example no more than the example itself', () => {
    const copy = path.join(dir, 'copy.json');
    writeFileSync(copy, JSON.stringify({ ...example, stackName: 'MyRunbook' }));
    expect(synthApp({ config: copy }).template.toJSON().Rules).toHaveProperty('RefuseExampleConfiguration');
  });

  it('synthesizes the Aurora example configuration offline, for a cluster, and refuses to deploy it like the example', () => {
    const { template } = synthApp({ config: 'config/example-aurora.json' });

    expect(template.toJSON().Rules).toHaveProperty('RefuseExampleConfiguration');
    expect(JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'))).toContain('aws-sdk:rds:restoreDBClusterFromSnapshot');
  });

  it("leaves an operator's own configuration deployable", () => {
    const template = synthApp({ config: ownConfig }).template.toJSON();
    expect(template.Rules).not.toHaveProperty('RefuseExampleConfiguration');
    expect(template.Parameters).not.toHaveProperty('ExampleConfiguration');
  });

  it('outputs the version of the configuration the stack was built from', () => {
    const { template } = synthApp({ config: ownConfig });
    const expected = configVersion(parseRunbookConfig({ ...example, deployment: { ...example.deployment, clusterName: 'metaflow-prod' } }));
    template.hasOutput('ConfigVersion', { Value: expected });
    expect(expected).toMatch(/^[0-9a-f]{12}$/);
  });

  it("builds an Aurora cluster's state machine, offline: cluster snapshot, cluster restore, and no grant on a standalone instance", () => {
    // Prepare
    const { dbInstanceIdentifier: _, ...deployment } = example.deployment;
    const config = parseRunbookConfig({ ...example, deployment: { ...deployment, dbClusterIdentifier: 'metaflow-aurora' } });

    // Act
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const template = Template.fromStack(new RunbookStack(app, 'Runbook', { config }));

    // Assess
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('aws-sdk:rds:createDBClusterSnapshot');
    expect(definition).toContain('aws-sdk:rds:restoreDBClusterFromSnapshot');
    expect(definition).not.toContain('aws-sdk:rds:createDBSnapshot');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain(':db:metaflow-aurora"');
  });
});
