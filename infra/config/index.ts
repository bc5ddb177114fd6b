export { ConfigError } from './load';
export { loadRunbookConfig, parseRunbookConfig, runbookConfigSchema } from './runbook';
export type { PollConfig, RunbookConfig } from './runbook';
export { loadSchedulingConfig, parseSchedulingConfig, schedulingConfigSchema } from './scheduling';
export type { SchedulingConfig } from './scheduling';
