import { approverPatternProblem, identityKey, judgeApprover, matchesApprover, parsePrincipalArn, sameIdentity } from '../../handlers/logic/identity';

const ACCOUNT = '123456789012';
const JANE = `arn:aws:sts::${ACCOUNT}:assumed-role/operators/jane`;
const SAM = `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/sam`;
const BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;

describe('principals as a signed request names them', () => {
  it.each([
    [BOB, { kind: 'user', partition: 'aws', account: ACCOUNT, path: '', name: 'bob' }],
    [`arn:aws:iam::${ACCOUNT}:user/division_abc/subdivision_xyz/Bob`, { kind: 'user', path: 'division_abc/subdivision_xyz', name: 'Bob' }],
    [SAM, { kind: 'assumed-role', role: 'Approvers', session: 'sam' }],
    [`arn:aws-cn:sts::${ACCOUNT}:federated-user/Bob`, { kind: 'federated-user', partition: 'aws-cn', name: 'Bob' }],
    [`arn:aws:iam::${ACCOUNT}:root`, { kind: 'root', account: ACCOUNT }],
  ])('reads %s', (arn, expected) => {
    expect(parsePrincipalArn(arn)).toMatchObject(expected);
  });

  it.each([
    ['an e-mail typed at start', 'jane.doe@example.com'],
    ['a role, which never signs a request itself', `arn:aws:iam::${ACCOUNT}:role/Approvers`],
    ['an IAM group', `arn:aws:iam::${ACCOUNT}:group/Admins`],
    ['a session ARN with its role path (sessions never carry one)', `arn:aws:sts::${ACCOUNT}:assumed-role/ops/Approvers/sam`],
    ['an account with a wildcard', 'arn:aws:iam::*:user/bob'],
  ])('refuses %s as a principal', (_what, arn) => {
    expect(parsePrincipalArn(arn)).toBeUndefined();
  });

  it('tells two requests of one person apart from two people: a role session is its role and session name, a user its name whatever its path, without case', () => {
    expect(sameIdentity(SAM, `arn:aws:sts::${ACCOUNT}:assumed-role/approvers/SAM`)).toBe(true);
    expect(sameIdentity(SAM, `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/jane`)).toBe(false);
    expect(sameIdentity(SAM, `arn:aws:sts::${ACCOUNT}:assumed-role/Operators/sam`)).toBe(false);
    expect(sameIdentity(BOB, `arn:aws:iam::${ACCOUNT}:user/team/bob`)).toBe(true);
    expect(sameIdentity(BOB, `arn:aws:iam::999999999999:user/bob`)).toBe(false);
    expect(sameIdentity('Jane.Doe@example.com', 'jane.doe@example.com')).toBe(true);
    expect(identityKey(JANE)).not.toBe(identityKey(SAM));
  });
});

describe('approver patterns', () => {
  it.each([
    [`arn:aws:iam::${ACCOUNT}:role/Approvers`, SAM, true],
    // The session ARN drops the role's path: a role pattern with a path matches by the role's name.
    [`arn:aws:iam::${ACCOUNT}:role/platform/Approvers`, SAM, true],
    [`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Approvers_*`, `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Approvers_0123abcd/sam@example.com`, true],
    [`arn:aws:iam::${ACCOUNT}:role/Approvers`, `arn:aws:sts::${ACCOUNT}:assumed-role/NotApprovers/sam`, false],
    [`arn:aws:iam::${ACCOUNT}:role/Approvers`, `arn:aws:sts::999999999999:assumed-role/Approvers/sam`, false],
    // A role pattern is no user: bob is not a session of any role.
    [`arn:aws:iam::${ACCOUNT}:role/bob`, BOB, false],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/sam`, SAM, true],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/jane`, SAM, false],
    [BOB, BOB, true],
    [`arn:aws:iam::${ACCOUNT}:user/*`, `arn:aws:iam::${ACCOUNT}:user/team/bob`, true],
    [`arn:aws:iam::${ACCOUNT}:user/b?b`, BOB, true],
    [BOB, `arn:aws:iam::${ACCOUNT}:user/bobby`, false],
    // A dot in a name is a dot, not "any character".
    [`arn:aws:iam::${ACCOUNT}:user/bob.smith`, `arn:aws:iam::${ACCOUNT}:user/bob.smith`, true],
    [`arn:aws:iam::${ACCOUNT}:user/bob.smith`, `arn:aws:iam::${ACCOUNT}:user/bobxsmith`, false],
  ])('%s matches %s: %s', (pattern, caller, matches) => {
    expect(matchesApprover(caller, pattern)).toBe(matches);
  });

  it.each([
    ['jane@example.com', 'expected an IAM principal ARN'],
    ['arn:aws:iam::*:role/Approvers', 'with a 12-digit account (no wildcard)'],
    ['arn:aws:iam::12345:role/Approvers', 'with a 12-digit account (no wildcard)'],
    [`arn:aws:iam::${ACCOUNT}:group/Approvers`, 'is an IAM group, which never signs a request'],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/Approvers`, 'expected an IAM principal ARN'],
    // Only IAM has groups: another service's group/ is no principal either, and no IAM group.
    [`arn:aws:sts::${ACCOUNT}:group/Approvers`, 'expected an IAM principal ARN'],
    [`arn:aws:iam::${ACCOUNT}:role/App rovers`, 'a name may hold letters, digits'],
    [`arn:aws:s3:::${ACCOUNT}`, 'expected an IAM principal ARN'],
  ])('refuses %s, saying why', (pattern, problem) => {
    expect(approverPatternProblem(pattern)).toContain(problem);
    expect(matchesApprover(BOB, pattern)).toBe(false);
  });
});

describe('who may answer an approval', () => {
  const withApprovers = { approvers: [`arn:aws:iam::${ACCOUNT}:role/Approvers`, BOB], allowSelfApproval: false };

  it('lets an approver approve a change someone else asked for', () => {
    expect(judgeApprover(withApprovers, JANE, SAM, 'approved')).toEqual({ allowed: true });
  });

  it('refuses the requester approving their own change, even as an approver, unless allowSelfApproval', () => {
    const refused = judgeApprover(withApprovers, SAM, SAM, 'approved');

    expect(refused).toMatchObject({ allowed: false, error: 'SelfApprovalRefused' });
    expect(refused.allowed ? '' : refused.reason).toContain('approval.allowSelfApproval is false');
    expect(judgeApprover({ ...withApprovers, allowSelfApproval: true }, SAM, SAM, 'approved')).toEqual({ allowed: true });
  });

  it('refuses another session of the same role session name only when it is the same role: two people of one role may approve each other', () => {
    expect(judgeApprover(withApprovers, `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/jane`, SAM, 'approved')).toEqual({ allowed: true });
  });

  it('refuses a caller outside the approvers, naming the configured ones', () => {
    const refused = judgeApprover(withApprovers, JANE, `arn:aws:iam::${ACCOUNT}:user/intern`, 'approved');

    expect(refused).toMatchObject({ allowed: false, error: 'ApproverNotAllowed' });
    expect(refused.allowed ? '' : refused.reason).toContain(`approval.approvers: arn:aws:iam::${ACCOUNT}:role/Approvers, ${BOB}`);
  });

  it('lets anyone but the requester approve where no approvers are configured', () => {
    const open = { approvers: [], allowSelfApproval: false };

    expect(judgeApprover(open, JANE, `arn:aws:iam::${ACCOUNT}:user/intern`, 'approved')).toEqual({ allowed: true });
    expect(judgeApprover(open, JANE, JANE, 'approved')).toMatchObject({ allowed: false, error: 'SelfApprovalRefused' });
  });

  it('lets the requester withdraw their own change, and refuses a rejection by someone outside the approvers', () => {
    expect(judgeApprover(withApprovers, JANE, JANE, 'rejected')).toEqual({ allowed: true });
    expect(judgeApprover(withApprovers, JANE, `arn:aws:iam::${ACCOUNT}:user/intern`, 'rejected')).toMatchObject({ allowed: false, error: 'ApproverNotAllowed' });
  });
});

describe('only a principal ARN of a kind that signs requests is read as one', () => {
  it.each([
    ['a name with a character IAM refuses', `arn:aws:iam::${ACCOUNT}:user/b!ob`],
    ['a name ending with a character IAM refuses', `arn:aws:iam::${ACCOUNT}:user/bob!`],
    ['a name starting with a character IAM refuses', `arn:aws:iam::${ACCOUNT}:user/!bob`],
    ['text before the ARN', `see arn:aws:iam::${ACCOUNT}:user/bob`],
    ['a second line after the ARN', `arn:aws:iam::${ACCOUNT}:user/bob\nx`],
    ['a root in STS', `arn:aws:sts::${ACCOUNT}:root`],
    ['a user in STS', `arn:aws:sts::${ACCOUNT}:user/bob`],
    ['a user without a name', `arn:aws:iam::${ACCOUNT}:user`],
    ['a role session in IAM', `arn:aws:iam::${ACCOUNT}:assumed-role/Approvers/sam`],
    ['an STS resource of another kind with three parts', `arn:aws:sts::${ACCOUNT}:federated/Approvers/sam`],
    ['a federated user in IAM', `arn:aws:iam::${ACCOUNT}:federated-user/Bob`],
    ['an STS resource of another kind with two parts', `arn:aws:sts::${ACCOUNT}:session/Bob`],
    ['a federated user with a path', `arn:aws:sts::${ACCOUNT}:federated-user/team/Bob`],
  ])('refuses %s', (_what, arn) => {
    expect(parsePrincipalArn(arn)).toBeUndefined();
  });
});

describe('one person, two requests', () => {
  it('takes a typed requester with surrounding spaces as the same text', () => {
    expect(sameIdentity(' jane.doe@example.com ', 'jane.doe@example.com')).toBe(true);
  });

  it('tells two users of one account apart', () => {
    expect(sameIdentity(BOB, `arn:aws:iam::${ACCOUNT}:user/alice`)).toBe(false);
  });

  it('knows a federated user by its name, the root by its account', () => {
    expect(sameIdentity(`arn:aws:sts::${ACCOUNT}:federated-user/Bob`, `arn:aws:sts::${ACCOUNT}:federated-user/bob`)).toBe(true);
    expect(sameIdentity(`arn:aws:sts::${ACCOUNT}:federated-user/Bob`, `arn:aws:sts::${ACCOUNT}:federated-user/Alice`)).toBe(false);
    expect(sameIdentity(`arn:aws:sts::${ACCOUNT}:federated-user/bob`, BOB)).toBe(false);
    expect(sameIdentity(`arn:aws:iam::${ACCOUNT}:root`, `arn:aws:iam::${ACCOUNT}:root`)).toBe(true);
    expect(sameIdentity(`arn:aws:iam::${ACCOUNT}:root`, 'arn:aws:iam::999999999999:root')).toBe(false);
  });
});

describe('approver patterns of every kind, and the near misses', () => {
  it.each([
    `arn:aws:iam::${ACCOUNT}:root`,
    `arn:aws:iam::${ACCOUNT}:user/bob`,
    `arn:aws:iam::${ACCOUNT}:role/Approvers`,
    `arn:aws:sts::${ACCOUNT}:assumed-role/Approvers/sam`,
    `arn:aws:sts::${ACCOUNT}:federated-user/Bob`,
  ])('takes %s', (pattern) => {
    expect(approverPatternProblem(pattern)).toBeUndefined();
  });

  it.each([
    `arn:aws:sts::${ACCOUNT}:root`,
    `arn:aws:sts::${ACCOUNT}:user/bob`,
    `arn:aws:iam::${ACCOUNT}:user`,
    `arn:aws:iam::${ACCOUNT}:assumed-role/Approvers/sam`,
    `arn:aws:sts::${ACCOUNT}:session/Approvers/sam`,
    `arn:aws:iam::${ACCOUNT}:federated-user/Bob`,
    `arn:aws:sts::${ACCOUNT}:session/Bob`,
    `arn:aws:sts::${ACCOUNT}:federated-user/team/Bob`,
    `arn:aws:iam::${ACCOUNT}:*`,
  ])('refuses %s as no principal a request names', (pattern) => {
    expect(approverPatternProblem(pattern)).toBe(
      `expected an IAM principal ARN: arn:aws:iam::<account>:user/<name>, arn:aws:iam::<account>:role/<name> (every session of the role), arn:aws:sts::<account>:assumed-role/<role>/<session>, got ${JSON.stringify(pattern)}`,
    );
  });

  it('blames the account only of something shaped like an IAM or STS ARN', () => {
    expect(approverPatternProblem('see arn:aws:iam::*:user/bob')).not.toContain('12-digit');
  });

  it('names an IAM group as a group', () => {
    expect(approverPatternProblem(`arn:aws:iam::${ACCOUNT}:group/Admins`)).toBe(
      `"arn:aws:iam::${ACCOUNT}:group/Admins" is an IAM group, which never signs a request (its users do): list the users, or a role they assume`,
    );
  });

  it('matches no caller with a pattern it refuses, even one whose wildcard would match', () => {
    expect(matchesApprover(BOB, `arn:aws:iam::${ACCOUNT}:*`)).toBe(false);
  });

  it('matches no caller that is not a principal, even one a pattern would match as text', () => {
    expect(matchesApprover(`arn:aws:iam::${ACCOUNT}:user/b!ob`, `arn:aws:iam::${ACCOUNT}:user/*`)).toBe(false);
  });

  it('admits by a role pattern only the sessions of that role in its partition and account, never a user', () => {
    expect(matchesApprover(BOB, `arn:aws:iam::${ACCOUNT}:role/*`)).toBe(false);
    expect(matchesApprover(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/Approvers/sam`, `arn:aws:iam::${ACCOUNT}:role/Approvers`)).toBe(false);
  });
});
