import { sfnMemberName } from '../../handlers/lib/sdk-casing';

describe('sfnMemberName (how Step Functions spells an API member in its SDK integrations)', () => {
  it.each([
    ['DBInstanceIdentifier', 'DbInstanceIdentifier'],
    ['CACertificateIdentifier', 'CaCertificateIdentifier'],
    ['DBClusterIdentifier', 'DbClusterIdentifier'],
    ['MultiAZ', 'MultiAZ'],
    ['cluster', 'Cluster'],
    ['taskDefinition', 'TaskDefinition'],
    ['NewDBInstanceIdentifier', 'NewDBInstanceIdentifier'],
    ['PerformanceInsightsKMSKeyId', 'PerformanceInsightsKMSKeyId'],
    ['Iops', 'Iops'],
  ])('names %s as %s', (member, expected) => {
    expect(sfnMemberName(member)).toBe(expected);
  });
});
