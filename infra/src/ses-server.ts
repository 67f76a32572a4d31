import fs from 'node:fs';
import path from 'node:path';

import { seconds, type ServerProcess, spawnServer, waitUntilReady } from './process';

interface PackageJson {
  version: string;
  bin: Record<string, string>;
}

function sesPackage(): { dir: string; pkg: PackageJson } {
  const manifest = require.resolve('aws-ses-v2-local/package.json');
  return { dir: path.dirname(manifest), pkg: JSON.parse(fs.readFileSync(manifest, 'utf8')) as PackageJson };
}

/** The aws-ses-v2-local version installed in node_modules (also pinned for the container). */
export function sesLocalVersion(): string {
  return sesPackage().pkg.version;
}

/** True when GET /health-check answers 2xx. */
export async function sesAnswers(endpoint: string, timeoutMs = 2000): Promise<boolean> {
  const response = await fetch(new URL('/health-check', endpoint), { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.ok;
}

export interface SesServer {
  readonly endpoint: string;
  readonly port: number;
  readonly version: string;
  readonly process: ServerProcess;
  stop(): Promise<void>;
}

/** aws-ses-v2-local: SES v1/v2 SendEmail into a mailbox readable at GET /store. */
export async function startSes(opts: { dir: string; port: number; log: (line: string) => void }): Promise<SesServer> {
  const started = Date.now();
  const { dir: packageDir, pkg } = sesPackage();
  const binRelative = pkg.bin['aws-ses-v2-local'];
  if (binRelative === undefined) throw new Error('aws-ses-v2-local has no bin named aws-ses-v2-local');
  fs.mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, 'ses.log');
  const child = spawnServer({
    name: 'ses',
    // The running Node (24 under npm run/npx), not whatever `node` is first on PATH.
    command: process.execPath,
    args: [path.join(packageDir, binRelative), '--host', '127.0.0.1', '--port', String(opts.port)],
    logFile,
    cwd: opts.dir,
  });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  try {
    await waitUntilReady(() => sesAnswers(endpoint, 1000), {
      what: `aws-ses-v2-local on ${endpoint}`,
      timeoutMs: 30_000,
      intervalMs: 150,
      process: child,
      logFiles: [logFile],
    });
  } catch (error) {
    await child.stop({ timeoutMs: 5_000 });
    throw error;
  }
  opts.log(`aws-ses-v2-local ${pkg.version} ready on ${endpoint} (${seconds(Date.now() - started)})`);
  return {
    endpoint,
    port: opts.port,
    version: pkg.version,
    process: child,
    stop: () => child.stop({ timeoutMs: 5_000 }),
  };
}
