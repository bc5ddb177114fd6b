import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG, type RunbookAssembly, synthesizeRunbook } from '../../rehearsal/assembly';
import { rehearse } from '../../rehearsal/run';
import { scenarioViolations } from '../../mutation/definition/checks';
import { PROPOSED_SCENARIOS, VARIANTS, type VariantName } from '../../mutation/proposed-scenarios';
import { runbookAssembly } from '../support/assembly';

const assemblies = new Map<VariantName, RunbookAssembly>();

/** The runbook synthesized with a configuration variant (the default one is the suite's). */
function assemblyFor(variant: VariantName): RunbookAssembly {
  if (variant === 'default') return runbookAssembly();
  const cached = assemblies.get(variant);
  if (cached) return cached;
  const example = JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8')) as Record<string, unknown>;
  const config = path.join(os.tmpdir(), `runbook-proposed-${process.pid}-${variant}.json`);
  writeFileSync(config, JSON.stringify(VARIANTS[variant](example)));
  const assembly = synthesizeRunbook({ settingsPath: config });
  assemblies.set(variant, assembly);
  return assembly;
}

describe('the proposed scenarios hold for the real definition (so they can join rehearsal/scenarios.ts)', () => {
  it.each(PROPOSED_SCENARIOS.map((p) => [p.scenario.name, p] as const))(
    '%s ends as it expects, with every invariant and proposed invariant kept',
    async (_name, proposed) => {
      const assembly = assemblyFor(proposed.variant);
      const definition = proposed.fixture ? proposed.fixture(assembly.definition, assembly) : assembly.definition;

      const result = await rehearse({ assembly: { ...assembly, definition }, scenario: proposed.scenario });

      expect(scenarioViolations(proposed.scenario, result, assembly.definition)).toEqual([]);
    },
    // A variant is synthesized (bundling the handlers) the first time it is used.
    20_000,
  );
});
