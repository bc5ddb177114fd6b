import type { RehearsalResult } from './run';

/** What the world looks like after a rehearsal, in the terms of a scenario's expectation. */
export interface Outcome {
  readonly status: RehearsalResult['status'];
  readonly error: string | null;
  readonly databaseRestored: boolean;
  readonly finalSchema: string | null;
  readonly finalServiceVersions: string[];
  readonly desiredCount: number;
  readonly taskDefinition: string;
  readonly snapshotsKept: string[];
  readonly instances: { id: string; status: string }[];
}

export function outcomeOf(result: RehearsalResult): Outcome {
  const { deployment } = result;
  const db = deployment.database();
  const service = deployment.ecs.describeService();
  return {
    status: result.status,
    error: result.error,
    databaseRestored: db.restored && db.serving,
    finalSchema: db.schemaVersion,
    finalServiceVersions: deployment.serviceVersions(),
    desiredCount: service.DesiredCount as number,
    taskDefinition: service.TaskDefinition as string,
    snapshotsKept: deployment.rds.snapshotIds(),
    instances: deployment.rds.instances.map((i) => ({ id: i.d.DBInstanceIdentifier as string, status: i.d.DBInstanceStatus as string })),
  };
}
