export { ConfigError } from './load';
export { loadRunbookConfig, parseRunbookConfig, runbookConfigSchema } from './runbook';
export type { PollConfig, RunbookConfig } from './runbook';
