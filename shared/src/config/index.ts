export { loadConfig, describeConfig, ConfigError } from './load-config';
export type { ConfigVariable, ConfigSpec, ConfigOf } from './load-config';
export { envSchemas } from './schemas';
export { commonConfigSpec } from './common-spec';
