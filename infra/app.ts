#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadRunbookConfig } from './config';
import { RunbookStack } from './runbook-stack';

/**
 * The CDK app. Configuration comes from the JSON file named by the `config` context key
 * (`cdk synth -c config=path/to/deployment.json`); a bad file stops synth with one message per key.
 */
function main(): void {
  const app = new App();
  const configPath = String(app.node.tryGetContext('config') ?? 'config/example.json');
  try {
    const config = loadRunbookConfig(configPath);
    new RunbookStack(app, config.stackName, { config, env: config.env });
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
