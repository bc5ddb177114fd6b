import { createHash } from 'node:crypto';

/**
 * The names a run gives what it creates, derived from the database's identifier and the
 * execution's name: the same execution always derives the same names, so a rollback never has to
 * guess them and everything one run made is found together (one suffix).
 */

/** The database the deployment has: an RDS DB instance or an Aurora DB cluster, named as the configuration names it. */
export type DatabaseIdentifier = { readonly dbInstanceIdentifier: string } | { readonly dbClusterIdentifier: string };

/** Where a restore puts the snapshot (beside the original) and where the original goes when it is swapped out. */
export type DerivedNames =
  | { readonly restoreInstanceId: string; readonly asideInstanceId: string }
  | { readonly restoreClusterId: string; readonly asideClusterId: string };

/** Eight hex digits of the execution name's hash: what every name this execution derives ends with. */
export function executionSuffix(executionName: string): string {
  return createHash('sha256').update(executionName).digest('hex').slice(0, 8);
}

export function derivedNames(database: DatabaseIdentifier, executionName: string): DerivedNames {
  const suffix = executionSuffix(executionName);
  if ('dbClusterIdentifier' in database) {
    const id = database.dbClusterIdentifier;
    return { restoreClusterId: derivedIdentifier(id, `restored-${suffix}`), asideClusterId: derivedIdentifier(id, `pre-${suffix}`) };
  }
  const id = database.dbInstanceIdentifier;
  return { restoreInstanceId: derivedIdentifier(id, `restored-${suffix}`), asideInstanceId: derivedIdentifier(id, `pre-${suffix}`) };
}

/** An Aurora cluster member's counterparts: the instance created in the restored cluster, and where the original goes. */
export function memberNames(dbInstanceIdentifier: string, executionName: string): { restoredId: string; asideId: string } {
  const suffix = executionSuffix(executionName);
  return { restoredId: derivedIdentifier(dbInstanceIdentifier, `restored-${suffix}`), asideId: derivedIdentifier(dbInstanceIdentifier, `pre-${suffix}`) };
}

/**
 * `<id>-<tail>` cut to RDS's 63 characters (the tail kept whole), valid as an instance or cluster
 * identifier: both follow the same rule (RDS API reference, CreateDBInstance and CreateDBCluster).
 */
export function derivedIdentifier(identifier: string, tail: string): string {
  return `${rdsSlug(identifier).slice(0, 63 - tail.length - 1)}-${tail}`.replace(/--+/g, '-');
}

/** Lowercase letters, digits and single hyphens: valid inside any RDS identifier. */
export function rdsSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
