import { isAuroraConfig, type RunbookConfig } from '../../infra/config';
import { ClusterKind } from './cluster';
import { InstanceKind } from './instance';
import type { DatabaseKind } from './kind';

export type { DatabaseKind } from './kind';
export { DATABASE_STATE_NAMES, type DatabaseKindName } from './names';

/** The deployment's database kind, from the identifier its configuration gives (exactly one, checked at load). */
export function databaseKind(config: RunbookConfig): DatabaseKind {
  return isAuroraConfig(config) ? new ClusterKind(config.deployment.dbClusterIdentifier) : new InstanceKind(config.deployment.dbInstanceIdentifier);
}
