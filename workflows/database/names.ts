/**
 * The states of each kind of database that other parts name: the guide's steps (workflows/steps.ts),
 * the rehearsal's figures and invariants, the fault matrix. Kept free of the CDK so the CLI can read
 * them. An RDS DB instance's keep the names they always had.
 */
export type DatabaseKindName = 'instance' | 'cluster';

export interface DatabaseStateNames {
  /** Preflight's describe calls of the database, in order. */
  readonly describe: readonly string[];
  /** The snapshot call: the start of guide step 2. */
  readonly snapshot: string;
  /** The restore beside the original: the start of the rollback's database restore. */
  readonly restore: string;
  /** The first rename of the swap: from here the original does not answer under its name. */
  readonly swap: string;
  /** The first look after a failed rollback. */
  readonly inspect: string;
}

export const DATABASE_STATE_NAMES: Readonly<Record<DatabaseKindName, DatabaseStateNames>> = {
  instance: {
    describe: ['Describe the DB instance'],
    snapshot: 'Take RDS snapshot',
    restore: 'Restore the snapshot beside the original',
    swap: 'Rename the current instance aside',
    inspect: 'Describe the DB instances after the failed rollback',
  },
  cluster: {
    describe: ['Describe the DB cluster', "Describe the cluster's instances"],
    snapshot: 'Take the cluster snapshot',
    restore: 'Restore the cluster beside the original',
    swap: 'Rename the current cluster aside',
    inspect: 'Describe the DB clusters after the failed rollback',
  },
};

/** The names of one role across every kind, for lists of states that start a step. */
export function everyKind(role: Exclude<keyof DatabaseStateNames, 'describe'>): string[] {
  return Object.values(DATABASE_STATE_NAMES).map((n) => n[role]);
}
