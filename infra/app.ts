#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadRunbookConfig } from './config';
import { RunbookStack } from './runbook-stack';
import { addSchedulingStackFromContext } from './scheduling/scheduling-stack';

/**
 * The CDK app. Configuration comes from the JSON file named by the `config` context key
 * (`cdk synth -c config=path/to/deployment.json`); a bad file stops synth with one message per key.
 * `-c schedulingConfig=path/to/scheduling.json` adds the optional Metaflow-on-Step-Functions
 * prerequisites stack (README, "Scheduling Metaflow flows on AWS Step Functions"), deployable on its own by its stack name.
 */
function main(): void {
  const app = new App();
  const configPath = String(app.node.tryGetContext('config') ?? 'config/example.json');
  try {
    const config = loadRunbookConfig(configPath);
    new RunbookStack(app, config.stackName, { config, env: config.env });
    addSchedulingStackFromContext(app);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  app.synth();
}

main();
