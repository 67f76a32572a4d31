import { type z } from 'zod';
import { AppError } from '../errors';

/** One environment variable: how to read it and what it is for (the README table is built from this). */
export interface ConfigVariable<TSchema extends z.ZodType = z.ZodType> {
  env: string;
  schema: TSchema;
  doc: string;
  /** Used when the variable is unset or empty; absent means required (unless the schema is optional). */
  default?: string;
  /** Secrets are never echoed back in error messages. */
  secret?: boolean;
}

export type ConfigSpec = Record<string, ConfigVariable>;
export type ConfigOf<TSpec extends ConfigSpec> = Readonly<{ [K in keyof TSpec]: z.output<TSpec[K]['schema']> }>;

export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, { retriable: false });
    this.name = 'ConfigError';
  }
}

/**
 * Reads a spec from an environment. Fails at start-up, naming every bad variable at once with
 * what it expects, so a misconfigured deployment never half-starts.
 */
export function loadConfig<TSpec extends ConfigSpec>(
  spec: TSpec,
  env: Readonly<Record<string, string | undefined>>,
): ConfigOf<TSpec> {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(spec)) {
    const raw = env[variable.env];
    const value = raw === undefined || raw.trim() === '' ? variable.default : raw.trim();
    const parsed = variable.schema.safeParse(value);
    if (parsed.success) {
      config[key] = parsed.data;
      continue;
    }
    const reason = value === undefined ? 'is required' : parsed.error.issues.map((issue) => issue.message).join(', ');
    const shown = value === undefined || variable.secret ? '' : ` (got "${truncate(value)}")`;
    problems.push(`${variable.env} ${reason}${shown}: ${variable.doc}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as ConfigOf<TSpec>;
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/** A Markdown table of a spec's variables, for the README. */
export function describeConfig(spec: ConfigSpec): string {
  const shownDefault = (variable: ConfigVariable): string => {
    if (variable.default === '') return '*(empty)*';
    if (variable.default !== undefined) return `\`${variable.default}\``;
    return variable.schema.safeParse(undefined).success ? '*(unset)*' : '*(required)*';
  };
  const rows = Object.values(spec).map(
    (variable) => `| \`${variable.env}\` | ${shownDefault(variable)} | ${variable.doc} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
