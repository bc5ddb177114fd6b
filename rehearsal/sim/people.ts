import type { PolicyDocument, Principal } from './iam';
import { ACCOUNT } from '../fixtures';

/** The people of the simulated account who start, approve and reject changes. */
export type PersonName = 'requester' | 'approver' | 'approver-role' | 'outsider';

/** A person's credentials and who AWS knows them as. */
export interface SimulatedPerson {
  readonly name: PersonName;
  /** The ARN a signed request of theirs is attributed to (a user, or a role session). */
  readonly arn: string;
  /** The user, or the role of the session: what IAM evaluates policies of. */
  readonly principalArn: string;
  /** AIDA… for a user, AROA…:<session> for a role session (`userId` of the request context). */
  readonly userId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (a role session, ASIA… keys) come with a session token. */
  readonly sessionToken?: string;
}

const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

export const PEOPLE: Readonly<Record<PersonName, SimulatedPerson>> = {
  // An operator signed in through a role (as IAM Identity Center users are): the session names her.
  requester: {
    name: 'requester',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/metaflow-operators/jane.doe`,
    principalArn: role('metaflow-operators'),
    userId: 'AROAREHEARSALOPERATORS:jane.doe',
    accessKeyId: 'ASIAREHEARSALJANEDOE1',
    secretAccessKey: 'rehearsal/jane.doe/not-a-real-secret-000000',
    sessionToken: 'rehearsal-session-token-jane.doe',
  },
  approver: {
    name: 'approver',
    arn: `arn:aws:iam::${ACCOUNT}:user/change-approver`,
    principalArn: `arn:aws:iam::${ACCOUNT}:user/change-approver`,
    userId: 'AIDAREHEARSALAPPROVER1',
    accessKeyId: 'AKIAREHEARSALAPPROVE1',
    secretAccessKey: 'rehearsal/change-approver/not-a-real-secret',
  },
  // A member of the approvers' role, signed in with her own session.
  'approver-role': {
    name: 'approver-role',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/metaflow-change-approvers/sam.lee`,
    principalArn: role('metaflow-change-approvers'),
    userId: 'AROAREHEARSALAPPROVERS:sam.lee',
    accessKeyId: 'ASIAREHEARSALSAMLEE01',
    secretAccessKey: 'rehearsal/sam.lee/not-a-real-secret-0000000',
    sessionToken: 'rehearsal-session-token-sam.lee',
  },
  // IAM lets her call the endpoint (a broad data-platform policy), but she is no approver.
  outsider: {
    name: 'outsider',
    arn: `arn:aws:iam::${ACCOUNT}:user/data-scientist`,
    principalArn: `arn:aws:iam::${ACCOUNT}:user/data-scientist`,
    userId: 'AIDAREHEARSALSCIENTIST',
    accessKeyId: 'AKIAREHEARSALSCIENCE1',
    secretAccessKey: 'rehearsal/data-scientist/not-a-real-secret',
  },
};

/** The approvers a rehearsal configures where a scenario needs some: the approvers' role, and one user. */
export const REHEARSAL_APPROVERS: readonly string[] = [role('metaflow-change-approvers'), PEOPLE.approver.arn];

export function personByAccessKey(accessKeyId: string): SimulatedPerson | undefined {
  return Object.values(PEOPLE).find((p) => p.accessKeyId === accessKeyId);
}

/**
 * What every person's IAM policies allow: calling the runbook's endpoint (a function URL needs
 * both lambda:InvokeFunctionUrl and lambda:InvokeFunction since October 2025,
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html), starting the state machine from
 * the console, reading its executions, and answering a task with the AWS CLI.
 */
export function personPrincipal(person: SimulatedPerson, endpointFunctionArn: string, stateMachineArn: string): Principal {
  const policy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: endpointFunctionArn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: endpointFunctionArn, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } },
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachineArn },
      { Effect: 'Allow', Action: 'states:GetExecutionHistory', Resource: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:*` },
      { Effect: 'Allow', Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'], Resource: '*' },
    ],
  };
  return {
    caller: person.name,
    roleLogicalId: `(person ${person.name})`,
    roleArn: person.principalArn,
    sessionArn: person.arn,
    policies: [{ name: `${person.name}-runbook-access`, document: policy }],
  };
}
