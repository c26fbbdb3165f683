/** The proxy's configuration: the environment schema, its `Config` output, and `loadConfig`. */
export { DEFAULT_RATE_LIMIT_PER_MINUTE, type Config } from './schema';
export { loadConfig, type LoadConfigResult } from './load';
