export { ConfigError } from './load';
export {
  DEFAULT_MIGRATION_PORT,
  DEFAULT_SERVICE_PORT,
  isAuroraConfig,
  loadRunbookConfig,
  parseRunbookConfig,
  runbookConfigSchema,
} from './runbook';
export type { AuroraRunbookConfig, InstanceRunbookConfig, PollConfig, RunbookConfig } from './runbook';
export { CONFIG_VERSION_OUTPUT, canonicalJson, configVersion, ENDPOINT_URL_OUTPUT } from './version';
export { loadSchedulingConfig, parseSchedulingConfig, schedulingConfigSchema } from './scheduling';
export type { SchedulingConfig } from './scheduling';
