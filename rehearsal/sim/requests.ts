import type { Json, RunbookAssembly } from '../assembly';
import { resolveTokens } from '../assembly';
import { AwsError } from './aws-error';

/**
 * What AWS refuses before anything else happens: a request that does not name what it acts on, or
 * names a topic or a state machine the account does not have. The API models leave these members
 * optional (TopicArn, TargetArn and PhoneNumber are alternatives to one another, and so are a state
 * machine's ARN and a Map Run's), so the model checks of sdk-model.ts cannot catch them; without
 * this a Task that lost its TopicArn would publish to nowhere and succeed.
 */
export function refuseIncompleteRequest(resource: string, input: Json, assembly: RunbookAssembly): void {
  const params = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as Record<string, Json>;
  if (/^arn:aws:states:::sns:publish(\.waitForTaskToken)?$/.test(resource)) {
    // SNS API reference, Publish: "If you don't specify a value for the TopicArn parameter, you must
    // specify a value for the PhoneNumber or TargetArn parameters."
    const target = params.TopicArn ?? params.TargetArn;
    if (typeof target !== 'string' && typeof params.PhoneNumber !== 'string') {
      throw new AwsError('SNS.InvalidParameterException', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    }
    if (typeof target === 'string' && !topicsOf(assembly).has(target)) throw new AwsError('SNS.NotFoundException', 'Topic does not exist', 404);
  }
  if (resource === 'arn:aws:states:::aws-sdk:sfn:listExecutions') {
    // Step Functions API reference, ListExecutions: executions of a state machine (stateMachineArn)
    // or of a Map Run (mapRunArn); one of them names what is listed.
    const machine = params.StateMachineArn;
    if (typeof machine !== 'string' && typeof params.MapRunArn !== 'string') {
      throw new AwsError('Sfn.ValidationException', 'ListExecutions needs a stateMachineArn or a mapRunArn');
    }
    if (typeof machine === 'string' && !stateMachinesOf(assembly).has(machine)) {
      throw new AwsError('Sfn.StateMachineDoesNotExistException', `State Machine Does Not Exist: '${machine}'`);
    }
  }
}

/** The account's topics: the stack's own, and the existing one the configuration names. */
function topicsOf(assembly: RunbookAssembly): Set<string> {
  const own = Object.entries(assembly.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
    .map(([id]) => resolveTokens(assembly.template.Resources, { Ref: id }));
  return new Set([...own, ...(assembly.config.notifications.topicArn ? [assembly.config.notifications.topicArn] : [])]);
}

/** The account's state machines: the stack's. */
function stateMachinesOf(assembly: RunbookAssembly): Set<string> {
  return new Set(
    Object.entries(assembly.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => resolveTokens(assembly.template.Resources, { Ref: id })),
  );
}
