import { z } from 'zod';
import { ConfigError, describeConfig, loadConfig } from './load-config';
import { envSchemas } from './schemas';

const spec = {
  port: { env: 'PORT', schema: envSchemas.port, default: '3000', doc: 'HTTP port.' },
  brokers: { env: 'KAFKA_BROKERS', schema: envSchemas.brokerList, doc: 'Brokers.' },
  apiKey: { env: 'API_KEY', schema: z.string().min(16), doc: 'Key.', secret: true },
};

describe('loadConfig', () => {
  it('When every variable is valid, then it returns typed, frozen values with defaults applied', () => {
    const config = loadConfig(spec, { KAFKA_BROKERS: 'a:9092, b:9093', API_KEY: 'k'.repeat(16) });
    expect(config).toEqual({ port: 3000, brokers: ['a:9092', 'b:9093'], apiKey: 'k'.repeat(16) });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('When variables are missing or bad, then one error names each of them and hides secrets', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: 'eighty', API_KEY: 'short-secret' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('"eighty"');
    expect(message).toContain('KAFKA_BROKERS is required');
    expect(message).toContain('API_KEY');
    expect(message).not.toContain('short-secret');
  });

  it('When a broker list is malformed, then the message says what shape is expected', () => {
    expect(() => loadConfig(spec, { KAFKA_BROKERS: 'http://kafka', API_KEY: 'k'.repeat(16) })).toThrow(/host:port/);
  });

  it('When the spec is described, then every variable appears in the table', () => {
    const table = describeConfig(spec);
    for (const name of ['PORT', 'KAFKA_BROKERS', 'API_KEY']) expect(table).toContain(`\`${name}\``);
  });
});
