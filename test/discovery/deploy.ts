import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { App } from 'aws-cdk-lib';
import type { DeploymentClients } from '../../cli/discovery/clients';
import { buildApp } from '../../infra/app';

type Template = { Resources: Record<string, { Type: string; Properties?: unknown }>; Outputs: Record<string, { Value: unknown }> };

/** `cdk synth -c config=<file>` in process (bundling skipped: the handlers' code is not deployed here). */
export function synthesize(configFile: string): { stackName: string; template: Template } {
  const app = new App({ context: { config: configFile, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = buildApp(app);
  return { stackName: stack.stackName, template: app.synth().getStackByName(stack.stackName).template as Template };
}

/**
 * "cdk deploy" into moto, of what `check` reads from the stack: its handler security group, the
 * ingress rules it adds to the service's group, and its ConfigVersion output, exactly as synthesized.
 * The rest (state machine, functions, roles, alarms) needs asset uploads moto's CloudFormation cannot
 * take, and egress rules moto's CloudFormation does not model (AWS::EC2::SecurityGroupEgress).
 */
export async function deploy(clients: DeploymentClients, synthesized: { stackName: string; template: Template }): Promise<void> {
  const kept = new Set(['AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress']);
  const { Resources, Outputs } = synthesized.template;
  const template = {
    Resources: Object.fromEntries(Object.entries(Resources).filter(([, r]) => kept.has(r.Type))),
    Outputs: { ConfigVersion: Outputs.ConfigVersion },
  };
  await clients.cloudformation.send(new CreateStackCommand({ StackName: synthesized.stackName, TemplateBody: JSON.stringify(template) }));
}
