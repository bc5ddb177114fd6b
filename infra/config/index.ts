export { ConfigError } from './load';
export {
  DEFAULT_MIGRATION_PORT,
  DEFAULT_SERVICE_PORT,
  isAuroraConfig,
  loadAnyRunbookConfig,
  loadRunbookConfig,
  parseAnyRunbookConfig,
  parseRunbookConfig,
  requireDbInstance,
  runbookConfigSchema,
} from './runbook';
export type { AnyRunbookConfig, AuroraRunbookConfig, PollConfig, RunbookConfig } from './runbook';
export { CONFIG_VERSION_OUTPUT, canonicalJson, configVersion } from './version';
export { loadSchedulingConfig, parseSchedulingConfig, schedulingConfigSchema } from './scheduling';
export type { SchedulingConfig } from './scheduling';
