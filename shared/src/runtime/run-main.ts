import { type ConfigOf, type ConfigSpec, loadConfig } from '../config';
import type { commonConfigSpec } from '../config/common-spec';
import { createLogger, type Logger } from '../logger';
import { runUntilSignalled, type Service } from './run-until-signalled';

type ServiceConfigSpec = ConfigSpec & typeof commonConfigSpec;

/**
 * The body of a service's main.ts: configuration from the given environment (a bad one exits
 * with code 2 and a message naming each bad variable), a redacting logger, then run until a
 * signal stops it.
 */
export function runMain<TSpec extends ServiceConfigSpec>(options: {
  name: string;
  spec: TSpec;
  env: Readonly<Record<string, string | undefined>>;
  create: (config: ConfigOf<TSpec>, logger: Logger) => Service;
}): void {
  let config: ConfigOf<TSpec>;
  try {
    config = loadConfig(options.spec, options.env);
  } catch (error) {
    process.stderr.write(`${options.name}: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ name: options.name, level: config.logLevel });
  void runUntilSignalled(options.create(config, logger), logger, config.shutdownTimeoutMs);
}
