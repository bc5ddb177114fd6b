import { Template } from 'aws-cdk-lib/assertions';
import { FIXTURES } from '../rehearsal/fixtures';
import { nestedStates } from '../workflows/asl';
import { apiModel, pathProblems, resultPaths, sfnExceptionName, shapeProblems } from './support/api-models';
import { runbookAssembly } from './support/assembly';
import { type AslDefinition, type AslState, resolveTokens, TEST_ACCOUNT, TEST_REGION } from './support/synth';

/**
 * The stack built for an Aurora cluster (`dbClusterIdentifier`): the state machine for a cluster,
 * chosen at synth, and IAM for a cluster only. The instance stack keeps its own tests
 * (runbook-stack.test.ts); these check what differs, and that the cluster's definition meets the
 * same rules (API models, bounded waits, comments).
 */
// The stacks the suite synthesized for the Terraform modules' deployments: with an Aurora cluster, and with an instance.
const built = (fixture: 'terraform-aurora' | 'terraform') => {
  const assembly = runbookAssembly(fixture);
  return { config: assembly.config, template: Template.fromJSON(assembly.template), definition: assembly.definition as unknown as AslDefinition };
};
const aurora = built('terraform-aurora');
const instance = built('terraform');
const CLUSTER = String(FIXTURES['terraform-aurora'].dbCluster.DBClusterIdentifier);
const { config, definition } = aurora;

type Statement = { Effect: string; Action?: string | string[]; Resource?: unknown; Condition?: unknown };
const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** The state machine role's statements (its policy, and the managed policies CDK moves overflowing statements to), resources resolved. */
function machineStatements(built: typeof aurora): { actions: string[]; resources: string[]; condition: unknown }[] {
  const role = Object.entries(built.template.findResources('AWS::StepFunctions::StateMachine'))[0]?.[1]?.Properties?.RoleArn?.['Fn::GetAtt']?.[0];
  return [...Object.values(built.template.findResources('AWS::IAM::Policy')), ...Object.values(built.template.findResources('AWS::IAM::ManagedPolicy'))]
    .filter((p) => list(p.Properties.Roles).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .map((s) => ({ actions: list(s.Action).map((a) => a.toLowerCase()), resources: list(s.Resource).map((r) => resolveTokens(built.template, r)), condition: s.Condition }));
}
const resourcesFor = (built: typeof aurora, action: string) =>
  [...new Set(machineStatements(built).filter((s) => s.actions.includes(action.toLowerCase())).flatMap((s) => s.resources))].sort();
const rds = (resource: string) => `arn:aws:rds:${TEST_REGION}:${TEST_ACCOUNT}:${resource}`;

function flatten(def: AslDefinition): [string, AslState][] {
  return Object.entries(def.States).flatMap(([name, state]) => [[name, state] as [string, AslState], ...nestedStates(state as never).flatMap((states) => flatten({ StartAt: '', States: states as AslDefinition['States'] }))]);
}
const allStates = flatten(definition);
const states = new Map(allStates);
const stateNamed = (name: string) => states.get(name) as AslState;
const SDK_RESOURCE = /^arn:aws:states:::aws-sdk:(rds|ecs|sfn):(\w+)$/;
const sdkTasks = allStates.flatMap(([name, state]) => {
  const match = SDK_RESOURCE.exec(state.Resource ?? '');
  return match ? [{ name, state, service: match[1] as 'rds' | 'ecs' | 'sfn', action: match[2] as string }] : [];
});
const operationOf = (task: (typeof sdkTasks)[number]) => {
  const model = apiModel(task.service);
  const name = task.action.charAt(0).toUpperCase() + task.action.slice(1);
  return { model, name, operation: model.operations[name] };
};

describe('RunbookStack for an Aurora cluster', () => {
  describe('one definition per kind, chosen at synth', () => {
    it('calls the cluster APIs for the snapshot and the restore, and none an instance deployment calls', () => {
      const rdsActions = (def: [string, AslState][]) => new Set(def.flatMap(([, s]) => (/aws-sdk:rds:(\w+)$/.exec(s.Resource ?? '') ?? []).slice(1)));
      const clusterActions = rdsActions(allStates);
      const instanceActions = rdsActions(flatten(instance.definition));

      expect([...clusterActions].sort()).toEqual([
        'addTagsToResource',
        'createDBClusterSnapshot',
        'createDBInstance',
        'describeDBClusterSnapshots',
        'describeDBClusters',
        'describeDBInstances',
        'modifyDBCluster',
        'modifyDBInstance',
        'restoreDBClusterFromSnapshot',
      ]);
      expect([...instanceActions].filter((a) => /Cluster/.test(a))).toEqual([]);
      expect([...clusterActions].filter((a) => ['createDBSnapshot', 'restoreDBInstanceFromDBSnapshot', 'describeDBSnapshots'].includes(a))).toEqual([]);
    });

    it('names the states for an operator, with no code identifiers, and explains every one but Choice and Fail states', () => {
      const names = allStates.map(([name]) => name);
      const ownNames = names.filter((n) => !flatten(instance.definition).some(([other]) => other === n));
      expect(ownNames).toEqual(expect.arrayContaining(['Take the cluster snapshot', 'Restore the cluster beside the original', "Create the restored cluster's instances"]));
      expect(ownNames.filter((n) => /[a-z][A-Z]|\$|_|DB[A-Z]/.test(n))).toEqual([]);
      expect(new Set(names).size).toBe(names.length);
      expect(allStates.filter(([, s]) => !['Choice', 'Fail'].includes(s.Type) && !s.Comment?.trim()).map(([n]) => n)).toEqual([]);
    });
  });

  describe('IAM for a cluster only', () => {
    it.each([
      ['rds:DescribeDBClusters', [rds(`cluster:${CLUSTER}`), rds('cluster:*')]],
      ['rds:CreateDBClusterSnapshot', [rds(`cluster:${CLUSTER}`), rds('cluster-snapshot:metaflow-migration-*')]],
      ['rds:DescribeDBClusterSnapshots', [rds(`cluster:${CLUSTER}`), rds('cluster-snapshot:metaflow-migration-*')]],
      [
        'rds:RestoreDBClusterFromSnapshot',
        [rds(`cluster:${CLUSTER}*-restored-*`), rds('cluster-snapshot:metaflow-migration-*'), rds('subgrp:*'), rds('cluster-pg:*')],
      ],
      ['rds:ModifyDBCluster', [rds(`cluster:${CLUSTER}`), rds(`cluster:${CLUSTER}*-restored-*`), rds(`cluster:${CLUSTER}*-pre-*`)]],
      ['rds:CreateDBInstance', [rds(`db:${CLUSTER}*-restored-*`), rds(`cluster:${CLUSTER}*-restored-*`), rds('pg:*')]],
      ['rds:ModifyDBInstance', [rds(`db:${CLUSTER}*`), rds(`db:${CLUSTER}*-restored-*`), rds(`db:${CLUSTER}*-pre-*`)]],
      [
        'rds:AddTagsToResource',
        [rds('cluster-snapshot:metaflow-migration-*'), rds(`cluster:${CLUSTER}*-restored-*`), rds(`cluster:${CLUSTER}*-pre-*`), rds(`db:${CLUSTER}*-restored-*`), rds(`db:${CLUSTER}*-pre-*`)],
      ],
    ])('lets the state machine use %s only on the cluster, its instances and their counterparts', (action, expected) => {
      expect(resourcesFor(aurora, action)).toEqual([...expected].sort());
    });

    it('grants a cluster deployment nothing on a standalone instance, and an instance deployment nothing on a cluster', () => {
      const instanceOnly = ['rds:createdbsnapshot', 'rds:describedbsnapshots', 'rds:restoredbinstancefromdbsnapshot'];
      const clusterOnly = ['rds:createdbclustersnapshot', 'rds:describedbclustersnapshots', 'rds:restoredbclusterfromsnapshot', 'rds:modifydbcluster', 'rds:createdbinstance', 'rds:describedbclusters'];
      const actionsOf = (built: typeof aurora) => new Set(machineStatements(built).flatMap((s) => s.actions));
      const resources = (built: typeof aurora) => machineStatements(built).flatMap((s) => s.resources);

      expect(instanceOnly.filter((a) => actionsOf(aurora).has(a))).toEqual([]);
      expect(clusterOnly.filter((a) => actionsOf(instance).has(a))).toEqual([]);
      // Instance ARNs of a cluster deployment are its members' (named after the cluster), never another instance's.
      expect(resources(aurora).filter((r) => /:rds:[^:]+:[^:]+:db:/.test(r) && !r.startsWith(rds(`db:${CLUSTER}`)) && r !== rds('db:*'))).toEqual([]);
      expect(resources(instance).filter((r) => /:(cluster|cluster-snapshot|cluster-pg):/.test(r))).toEqual([]);
    });

    it("lets a restore use the cluster snapshot's customer managed key only through RDS, and pass only the service's own roles to ECS and the enhanced-monitoring role to RDS", () => {
      const granting = (action: string) => machineStatements(aurora).filter((s) => s.actions.includes(action));
      expect(granting('kms:creategrant').map((s) => [s.resources, JSON.stringify(s.condition)])).toEqual([
        [[`arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`], expect.stringContaining('kms:ViaService')],
      ]);
      expect(granting('iam:passrole').map((s) => [s.resources, JSON.stringify(s.condition)])).toEqual([
        // The plan task runs with the service's own task and execution roles.
        [
          [aurora.config.deployment.taskRoleArn, aurora.config.deployment.executionRoleArn],
          JSON.stringify({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
        ],
        [[`arn:aws:iam::${TEST_ACCOUNT}:role/*`], JSON.stringify({ StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } })],
      ]);
    });
  });

  describe("the cluster's definition", () => {
    it('sends only parameters the AWS API models define, in Step Functions casing; a request built by preflight is sent whole', () => {
      const problems = sdkTasks.flatMap((task) => {
        const { model, name, operation } = operationOf(task);
        if (!operation?.input) return [`${task.name}: ${task.service} has no operation ${name} with an input`];
        if (task.state.Parameters === undefined) {
          return /^\$\.(original|member)\./.test(String(task.state.InputPath)) ? [] : [`${task.name}: neither Parameters nor a request built by preflight`];
        }
        return shapeProblems(model, operation.input.shape, task.state.Parameters, task.name);
      });
      expect(problems).toEqual([]);
      expect(sdkTasks.filter((t) => t.state.Parameters === undefined).map((t) => t.action).sort()).toEqual(['createDBInstance', 'modifyDBCluster', 'restoreDBClusterFromSnapshot']);
    });

    it('reads only result fields the AWS API models define', () => {
      const problems = sdkTasks.flatMap((task) => {
        const { model, operation } = operationOf(task);
        return Object.entries(task.state.ResultSelector ?? {})
          .filter(([key, value]) => key.endsWith('.$') && typeof value === 'string' && !(value as string).startsWith('$$'))
          .flatMap(([, value]) => resultPaths(value as string))
          .flatMap((p) => pathProblems(model, operation?.output?.shape as string, p, task.name));
      });
      expect(problems).toEqual([]);
    });

    it('retries and catches only errors the RDS model defines, or its generic exception', () => {
      const known = new Set(['Rds.RdsException', ...Object.entries(apiModel('rds').shapes).filter(([, s]) => s.exception).map(([n]) => `Rds.${sfnExceptionName(n)}`)]);
      const named = allStates.flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
      expect(named).toEqual(expect.arrayContaining(['Rds.InvalidDbClusterStateException', 'Rds.InvalidDbInstanceStateException']));
      expect(named.filter((e) => e.startsWith('Rds.') && !known.has(e))).toEqual([]);
    });

    /** Which configured poll bounds each `$.polls.<counter>` loop of the cluster's restore. */
    const CLUSTER_POLLS: Record<string, keyof typeof config.waits> = {
      snapshot: 'snapshot',
      restore: 'restore',
      restoreSettings: 'instance',
      createInstance: 'instance',
      rename: 'instance',
      takeOver: 'instance',
      renameBack: 'instance',
      restoredAsideAgain: 'instance',
      memberRename: 'instance',
      memberTakeOver: 'instance',
      memberRenameBack: 'instance',
    };

    it.each(Object.entries(CLUSTER_POLLS))('bounds the wait on $.polls.%s with the configured attempts, through a Fail state', (counter, wait) => {
      const attempts = `$.polls.${counter}.attempts`;
      const choice = allStates.find(([, s]) => s.Type === 'Choice' && JSON.stringify(s.Choices).includes(`"${attempts}"`))?.[1] as AslState;
      const bound = (choice.Choices ?? []).find((rule) => rule.Variable === attempts && 'NumericGreaterThanEquals' in rule);
      const pause = stateNamed(stateNamed(choice.Default as string).Next as string);

      expect(bound?.NumericGreaterThanEquals).toBe(config.waits[wait].maxAttempts);
      expect(stateNamed(bound?.Next as string).Type).toBe('Fail');
      expect(pause).toMatchObject({ Type: 'Wait', Seconds: config.waits[wait].intervalSeconds });
    });

    it('waits on the cluster endpoint only through those bounded polls', () => {
      const started = allStates
        .filter(([, s]) => s.Type === 'Pass' && s.Parameters?.attempts === 1 && String(s.ResultPath).startsWith('$.polls.'))
        .map(([, s]) => String(s.ResultPath).slice('$.polls.'.length));
      const service = ['planTaskStop', 'scaleToOne', 'restartForMigration', 'restartOnNewSchema', 'scaleBack', 'rollbackRestart', 'upgradeSettle'];
      expect(started.filter((c) => !service.includes(c)).sort()).toEqual(Object.keys(CLUSTER_POLLS).sort());
    });

    it('creates the instances and renames them one at a time, each iteration seeing its member, the plan and polls of its own', () => {
      const maps = allStates.filter(([, s]) => s.Type === 'Map');
      expect(maps.map(([name]) => name).sort()).toEqual([
        "Create the restored cluster's instances",
        'Give the restored instances the original identifiers',
        'Rename the original instances aside',
        'Rename the original instances back',
      ]);
      for (const [, map] of maps) {
        expect(map).toMatchObject({ ItemsPath: '$.original.members', MaxConcurrency: 1, ItemSelector: { 'member.$': '$$.Map.Item.Value', 'plan.$': '$.plan', polls: {} } });
      }
    });

    it('undoes a swap that cannot complete: the cluster rename, and the instance renames, go back to the original cluster serving', () => {
      const catchOf = (name: string) => (stateNamed(name).Catch ?? []).map((c) => c.Next);
      expect(catchOf('Give the restored cluster the original identifier')).toEqual(['Rename the original cluster back']);
      expect(catchOf('Rename the original instances aside')).toEqual(['Rename the original instances back']);
      expect(catchOf('Give the restored instances the original identifiers')).toEqual(['Rename the original instances back']);
      expect(stateNamed('Rename the original instances back').Next).toBe('Give the restored cluster its temporary identifier back');
      expect(stateNamed('Swap undone: the original cluster serves again')).toMatchObject({ Type: 'Fail', Error: 'SwapFailed' });
    });

    it('outlasts every bounded wait, so a wait always gives up (and rolls back) before the execution times out', () => {
      const pollSeconds = allStates
        .filter(([, s]) => s.Type === 'Choice' && /\$\.polls\.\w+\.attempts/.test(JSON.stringify(s.Choices)))
        .map(([, choice]) => Number((JSON.stringify(choice.Choices).match(/"NumericGreaterThanEquals":(\d+)/) ?? [])[1]) * Number(stateNamed(stateNamed(choice.Default as string).Next as string).Seconds));
      expect(definition.TimeoutSeconds).toBeGreaterThan(pollSeconds.reduce((a, b) => a + b, 0));
    });
  });
});
