import * as path from 'node:path';
import { CfnParameter, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import { ConfigError, canonicalJson, loadRunbookConfig, type RunbookConfig } from './config';

/**
 * Keys the CDK itself puts in the context all hold a colon: its own settings (`aws:cdk:bundling-stacks`),
 * feature flags (`@aws-cdk/core:...`) and cached lookups (`availability-zones:account=...`). Every other
 * key is the operator's, and must be one the app reads: a misspelt `-c conifg=...` would otherwise
 * synthesize the example configuration without a word.
 */
export function checkContextKeys(keys: readonly string[], appKeys: readonly string[]): void {
  const problems = keys
    .filter((key) => !key.includes(':') && !appKeys.includes(key))
    .map((key) => {
      const near = closest(key, appKeys);
      return `${key}: unknown context key${near ? `; did you mean ${near}?` : ''} (this app reads ${appKeys.join(', ')})`;
    });
  if (problems.length > 0) throw new ConfigError('the CDK context (-c key=value or cdk.json)', problems);
}

/** The app key a typo most likely meant: at most two edits away (a swap of neighbours is one edit). */
function closest(key: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map((c) => [c, editDistance(key.toLowerCase(), c.toLowerCase())] as const).filter(([, d]) => d <= 2);
  return scored.sort((a, b) => a[1] - b[1])[0]?.[0];
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

export const EXAMPLE_CONFIG = path.join(__dirname, '..', 'config', 'example.json');
/** The same made-up deployment with an Aurora cluster (dbClusterIdentifier) for its database. */
export const AURORA_EXAMPLE_CONFIG = path.join(__dirname, '..', 'config', 'example-aurora.json');

/** Whether a configuration describes an example's made-up deployment (a copy of the file left unedited counts too). */
export function isExampleDeployment(config: RunbookConfig): boolean {
  return [EXAMPLE_CONFIG, AURORA_EXAMPLE_CONFIG].some((file) => canonicalJson(config.deployment) === canonicalJson(loadRunbookConfig(file).deployment));
}

export const EXAMPLE_REFUSAL =
  'This stack was synthesized from an example configuration (config/example.json, config/example-aurora.json), whose identifiers are made up: it is not deployable. ' +
  'Write your own configuration (npm run runbook -- init), then cdk deploy -c config=<your file>.';

/**
 * Synth of the example must keep working (CI, the rehearsal, reading the template), so the refusal
 * happens where a deployment starts: CloudFormation evaluates a template's Rules before it creates or
 * updates anything, and refuses the operation with the assertion's description when one is false
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-rules.html).
 * The parameter allows a single value, so no `--parameters` override can make the assertion true.
 */
export function refuseToDeploy(stack: Stack): void {
  const marker = new CfnParameter(stack, 'ExampleConfiguration', {
    type: 'String',
    default: 'not-deployable',
    allowedValues: ['not-deployable'],
    description: EXAMPLE_REFUSAL,
  });
  new CfnRule(stack, 'RefuseExampleConfiguration', {
    assertions: [{ assert: Fn.conditionEquals(marker.valueAsString, 'deployable'), assertDescription: EXAMPLE_REFUSAL }],
  });
}
