import { resolveTokens } from '../../rehearsal/assembly';
import { refuseIncompleteRequest } from '../../rehearsal/sim/requests';
import { runbookAssembly } from '../support/assembly';

/**
 * What the simulated AWS refuses before authorizing a call: a request that names nothing to act on
 * (the API models leave these members optional, as alternatives), or names a topic or state
 * machine the account does not have.
 */
const assembly = runbookAssembly();
const resources = assembly.template.Resources;
const idOf = (type: string) => Object.entries(resources).find(([, r]) => r.Type === type)?.[0] as string;
const TOPIC = resolveTokens(resources, { Ref: idOf('AWS::SNS::Topic') });
const MACHINE = resolveTokens(resources, { Ref: idOf('AWS::StepFunctions::StateMachine') });
const PUBLISH = 'arn:aws:states:::sns:publish';
const ASK = 'arn:aws:states:::sns:publish.waitForTaskToken';
const LIST = 'arn:aws:states:::aws-sdk:sfn:listExecutions';

const refusal = (resource: string, input: Record<string, unknown>): string | undefined => {
  try {
    refuseIncompleteRequest(resource, input as never, assembly);
    return undefined;
  } catch (err) {
    return (err as Error).name;
  }
};

describe('requests AWS refuses before it authorizes them', () => {
  it.each([PUBLISH, ASK])('%s: a message without a topic is refused as SNS refuses it', (resource) => {
    expect(refusal(resource, { Subject: 'CHG-1', Message: 'hello' })).toBe('SNS.InvalidParameterException');
  });

  it('publishes to the stack\'s topic, and refuses a topic the account does not have', () => {
    expect(refusal(PUBLISH, { TopicArn: TOPIC, Message: 'hello' })).toBeUndefined();
    expect(refusal(PUBLISH, { TopicArn: `${TOPIC}-gone`, Message: 'hello' })).toBe('SNS.NotFoundException');
  });

  it('lists the executions of the runbook\'s state machine, and of no state machine without its ARN', () => {
    expect(refusal(LIST, { StateMachineArn: MACHINE, StatusFilter: 'RUNNING' })).toBeUndefined();
    expect(refusal(LIST, { StatusFilter: 'RUNNING' })).toBe('Sfn.ValidationException');
    expect(refusal(LIST, { StateMachineArn: `${MACHINE}-other`, StatusFilter: 'RUNNING' })).toBe('Sfn.StateMachineDoesNotExistException');
  });

  it('names the state machine as the rehearsal\'s executions know it ($$.StateMachine.Id)', () => {
    expect(MACHINE).toBe(`arn:aws:states:eu-west-1:123456789012:stateMachine:${assembly.config.stackName}`);
  });
});
