#!/usr/bin/env node
import { Annotations, App } from 'aws-cdk-lib';
import { checkContextKeys, EXAMPLE_REFUSAL, isExampleDeployment, refuseToDeploy } from './app-guards';
import { ConfigError, loadRunbookConfig } from './config';
import { RunbookStack } from './runbook-stack';
import { addSchedulingStackFromContext, SCHEDULING_CONFIG_CONTEXT_KEY } from './scheduling/scheduling-stack';

/** The context key that names the runbook configuration file, and the file used without it. */
export const RUNBOOK_CONFIG_CONTEXT_KEY = 'config';
export const DEFAULT_RUNBOOK_CONFIG = 'config/example.json';

/**
 * The CDK app. Configuration comes from the JSON file named by the `config` context key
 * (`cdk synth -c config=path/to/deployment.json`); a bad file stops synth with one message per key.
 * `-c schedulingConfig=path/to/scheduling.json` adds the optional Metaflow-on-Step-Functions
 * prerequisites stack (README, "Scheduling Metaflow flows on AWS Step Functions"), deployable on its own by its stack name.
 * Any other context key of the operator's is refused; the example configuration synthesizes but
 * CloudFormation refuses to deploy it (see app-guards.ts).
 */
export function buildApp(app: App): RunbookStack {
  checkContextKeys(Object.keys(app.node.getAllContext()), [RUNBOOK_CONFIG_CONTEXT_KEY, SCHEDULING_CONFIG_CONTEXT_KEY]);
  const configPath = String(app.node.tryGetContext(RUNBOOK_CONFIG_CONTEXT_KEY) ?? DEFAULT_RUNBOOK_CONFIG);
  const config = loadRunbookConfig(configPath);
  const stack = new RunbookStack(app, config.stackName, { config, env: config.env });
  if (isExampleDeployment(config)) {
    refuseToDeploy(stack);
    Annotations.of(stack).addWarningV2('runbook:exampleConfiguration', EXAMPLE_REFUSAL);
  }
  addSchedulingStackFromContext(app);
  return stack;
}

function main(): void {
  const app = new App();
  try {
    buildApp(app);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  app.synth();
}

if (require.main === module) main();
