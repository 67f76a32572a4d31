import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const FORBIDDEN =
  /from '(kafkajs|mongoose|mongodb|fastify|smtp-server|nodemailer|@aws-sdk\/[^']+|@privacy-relay\/shared\/(kafka|mongo|http|runtime|ses))'/;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('Architecture: domain and application code are plain logic', () => {
  const files = ['intake', 'relay'].flatMap((service) =>
    ['domain', 'application'].flatMap((layer) => sourceFiles(join(root, 'services', service, 'src', layer))),
  );

  it('When the layers are scanned, then there is something to scan', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('When a domain or application file is read, then it imports no I/O library and reads no environment', () => {
    const offenders = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return FORBIDDEN.test(text) || /process\.env/.test(text);
    });
    expect(offenders.map((file) => relative(root, file))).toEqual([]);
  });
});
