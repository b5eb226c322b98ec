export {
  loadServeConfig,
  OMNI_SERVE_OPTION_NAMES,
  type OmniServeConfig,
  type OmniServeOptions,
} from './serve-config.ts';
export { LOG_LEVELS, type LogLevel } from './serve-config-rules.ts';
export {
  DEFAULT_MONGO_DATABASE,
  resolveTaskStoreConfig,
  TASK_STORE_BACKENDS,
  type InMemoryTaskStoreConfig,
  type MongoTaskStoreConfig,
  type RedisTaskStoreConfig,
  type SqlTaskStoreConfig,
  type TaskStoreBackend,
  type TaskStoreConfig,
  type TaskStoreSettings,
} from './task-store-config.ts';
export { ENV_VAR_TYPES, SERVE_ENV_VARS, type EnvVarType, type ServeConfigField, type ServeEnvVar } from './env-vars.ts';
export { maskToken, renderConfigShow, renderEnvExample } from './render-config.ts';
