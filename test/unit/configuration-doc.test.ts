import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { relayConfigSpec } from '@privacy-relay/relay/config';

describe('The configuration table (docs/configuration.md)', () => {
  const table = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

  it.each(
    [
      ...new Set(
        [...Object.values(intakeConfigSpec), ...Object.values(relayConfigSpec)].map((variable) => variable.env),
      ),
    ].map((name) => [name]),
  )('When a service reads %s, then docs/configuration.md documents it', (name) => {
    expect(table).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
