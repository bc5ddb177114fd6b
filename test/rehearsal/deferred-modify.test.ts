import { VirtualClock } from '../../rehearsal/clock';
import { FIXTURES } from '../../rehearsal/fixtures';
import { SimulatedRds } from '../../rehearsal/sim/rds';

/**
 * ModifyDBInstance as RDS applies it: at once with ApplyImmediately, otherwise queued for the next
 * maintenance window (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.ApplyImmediately.html),
 * and a later immediate request applies the queue with its own values.
 */
function rds() {
  const clock = new VirtualClock();
  const sim = new SimulatedRds(clock, {}, () => undefined, () => undefined, FIXTURES.example.account);
  sim.addInstance(FIXTURES.example.dbInstance, { schemaVersion: '1', rows: 0 });
  return { clock, sim, id: FIXTURES.example.dbInstance.DBInstanceIdentifier as string };
}

describe('the simulated RDS defers a modification without ApplyImmediately', () => {
  it('leaves a rename pending: the instance keeps its identifier and serves, the new one does not exist', () => {
    const { clock, sim, id } = rds();

    sim.modifyDBInstance({ DbInstanceIdentifier: id, NewDBInstanceIdentifier: `${id}-aside` });
    clock.advance(3600);
    sim.advanceTo(clock.now);

    expect(sim.find(id)?.d).toMatchObject({ DBInstanceStatus: 'available', PendingModifiedValues: { DBInstanceIdentifier: `${id}-aside` } });
    expect(sim.find(`${id}-aside`)).toBeUndefined();
    expect(() => sim.describeDBInstances({ DbInstanceIdentifier: `${id}-aside` })).toThrow(expect.objectContaining({ name: 'Rds.DbInstanceNotFoundException' }));
  });

  it('leaves settings pending, and applies them with the next request that applies immediately', () => {
    const { clock, sim, id } = rds();

    sim.modifyDBInstance({ DbInstanceIdentifier: id, PreferredMaintenanceWindow: 'mon:01:00-mon:01:30' });
    const pending = sim.find(id)?.d.PreferredMaintenanceWindow;
    sim.modifyDBInstance({ DbInstanceIdentifier: id, MaxAllocatedStorage: 1000, ApplyImmediately: true });
    clock.advance(120);
    sim.advanceTo(clock.now);

    expect(pending).toBe(FIXTURES.example.dbInstance.PreferredMaintenanceWindow);
    expect(sim.find(id)?.d).toMatchObject({ PreferredMaintenanceWindow: 'mon:01:00-mon:01:30', MaxAllocatedStorage: 1000, PendingModifiedValues: {}, DBInstanceStatus: 'available' });
  });

  it('renames at once with ApplyImmediately: the instance is renaming, then available under the new identifier', () => {
    const { clock, sim, id } = rds();

    sim.modifyDBInstance({ DbInstanceIdentifier: id, NewDBInstanceIdentifier: `${id}-aside`, ApplyImmediately: true });
    const during = sim.find(id)?.d.DBInstanceStatus;
    clock.advance(sim.durations.rename);
    sim.advanceTo(clock.now);

    expect(during).toBe('renaming');
    expect(sim.find(`${id}-aside`)?.d.DBInstanceStatus).toBe('available');
    expect(sim.find(id)).toBeUndefined();
  });
});
