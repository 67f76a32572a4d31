#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runDeadlineCommand } from './deadline-command';
import { runDirectoryImport } from './directory-import';
import { runEvidenceExport, runEvidenceVerify } from './evidence-command';
import { runHashPassword } from './hash-password-command';
import { runMatchCommand } from './match-command';

const USAGE = `usage:
  relay directory import FILE [--format jsonl|csv] [--as-of TIME]
                                                      import tenants (all rows valid, or nothing);
                                                      each row's changedAt, else TIME, versions it
  relay match --directory TENANTS.jsonl --requests REQUESTS.jsonl [--out FILE]
                                                      one JSON decision per request (tuning)
  relay deadline --received YYYY-MM-DD --regime uk-gdpr|gdpr|ccpa [--jurisdiction CODE]
                                                      the legal response deadline, as one JSON line
  relay evidence export CASE_ID [--out FILE]          the case's evidence bundle (audit chain, SNS
                                                      notifications, signed checkpoint, public key)
  relay evidence verify BUNDLE [--public-key PEM]     checks a bundle offline; exit 0 valid, 1 not
  relay console hash-password                         reads a password (typed, hidden; or piped) and
                                                      prints its scrypt hash for RELAY_CONSOLE_USERS`;

/** The relay's command line; reads the environment like main.ts does (Kafka settings for imports). */
async function main(argv: string[]): Promise<number> {
  const err = (line: string) => process.stderr.write(line + '\n');
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'as-of': { type: 'string' },
      directory: { type: 'string' },
      requests: { type: 'string' },
      out: { type: 'string' },
      received: { type: 'string' },
      regime: { type: 'string' },
      jurisdiction: { type: 'string' },
      'public-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, file] = positionals;
  if (values.help || !command) {
    err(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'directory' && sub === 'import' && file) {
    return runDirectoryImport(file, { format: values.format, asOf: values['as-of'], env: process.env, out: err });
  }
  if (command === 'match' && values.directory && values.requests) {
    return runMatchCommand({ directory: values.directory, requests: values.requests, out: values.out, log: err });
  }
  if (command === 'deadline' && !sub) {
    const { received, regime, jurisdiction } = values;
    return runDeadlineCommand({
      received,
      regime,
      jurisdiction,
      out: (line) => process.stdout.write(line + '\n'),
      err,
    });
  }
  if (command === 'evidence' && sub === 'export' && file) {
    const out = (text: string) => process.stdout.write(text);
    return runEvidenceExport(file, { outFile: values.out, env: process.env, out, err });
  }
  if (command === 'evidence' && sub === 'verify' && file) {
    const out = (line: string) => process.stdout.write(line + '\n');
    return runEvidenceVerify(file, { publicKeyFile: values['public-key'], out, err });
  }
  if (command === 'console' && sub === 'hash-password' && !file) {
    return runHashPassword({ input: process.stdin, out: (line) => process.stdout.write(line + '\n'), err });
  }
  err(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`relay: ${(error as Error).message}\n`);
    // A missing value or an unknown option is bad usage, like the USAGE cases above.
    process.exitCode = String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  },
);
