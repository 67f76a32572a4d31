import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe.each(['intake', 'relay'])('%s main.ts with a bad configuration', (service) => {
  const main = join(root, 'services', service, 'dist', 'main.js');

  it('When variables are invalid, then it exits with code 2 naming each one, before connecting anywhere', () => {
    expect(existsSync(main)).toBe(true);
    const prefix = service.toUpperCase();
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, [`${prefix}_PORT`]: 'eighty', KAFKA_BROKERS: 'http://nowhere', LOG_LEVEL: 'loud' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${prefix}_PORT`);
    expect(result.stderr).toContain('KAFKA_BROKERS');
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stderr).toContain('host:port');
  });
});
