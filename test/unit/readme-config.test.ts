import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { intakeConfigSpec } from '@privacy-relay/intake/config';
import { relayConfigSpec } from '@privacy-relay/relay/config';

describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

  it.each(
    [
      ...new Set(
        [...Object.values(intakeConfigSpec), ...Object.values(relayConfigSpec)].map((variable) => variable.env),
      ),
    ].map((name) => [name]),
  )('When a service reads %s, then the README documents it', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
