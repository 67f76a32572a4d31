/**
 * Servers run detached (own process groups), so they would outlive a parent that dies without
 * stopping them: a test run killed with Ctrl-C, a crash, a SIGKILL. Two safety nets:
 *  - on this process's 'exit', every registered group gets its stop signal (synchronously);
 *  - a tiny watchdog process (one per parent, started with the first server) notices when the
 *    parent is gone for any reason — including signals and SIGKILL, which skip 'exit' — and
 *    stops the groups listed in a registry file, with SIGKILL for those still there after 15 s.
 * Signal handlers are deliberately not used: adding one changes how the host process (jest,
 * the CLI) reacts to Ctrl-C, and libraries such as signal-exit then wait for each other.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface GuardEntry {
  pgid: number;
  signal: NodeJS.Signals;
}

const entries = new Map<number, GuardEntry>();
let nextId = 1;
let registryFile: string | undefined;

const WATCHDOG_SOURCE = `
process.title = 'privacy-relay-watchdog';
const fs = require('node:fs');
const [parent, file] = process.argv.slice(1);
const read = () => { try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return []; } };
const signal = (pgid, sig) => { try { process.kill(-pgid, sig); return true; } catch { return false; } };
const poll = setInterval(() => {
  if (process.ppid === Number(parent)) return; // reparented: the parent is gone
  clearInterval(poll);
  const groups = read();
  for (const g of groups) signal(g.pgid, g.signal);
  const deadline = Date.now() + 15000;
  setInterval(() => {
    const left = groups.filter((g) => signal(g.pgid, 0));
    if (left.length === 0 || Date.now() > deadline) {
      for (const g of left) signal(g.pgid, 'SIGKILL');
      try { fs.unlinkSync(file); } catch {}
      process.exit(0);
    }
  }, 200);
}, 500);
`;

function writeRegistry(): void {
  if (registryFile === undefined) return;
  const temporary = `${registryFile}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify([...entries.values()]));
  fs.renameSync(temporary, registryFile);
}

function signalAllNow(): void {
  for (const { pgid, signal } of entries.values()) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // already gone
    }
  }
}

function startWatchdog(): void {
  registryFile = path.join(os.tmpdir(), `privacy-relay-guard-${process.pid}.json`);
  writeRegistry();
  process.once('exit', signalAllNow);
  try {
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid), registryFile], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.on('error', () => undefined);
    watchdog.unref();
  } catch {
    // the 'exit' hook still covers ordinary exits
  }
}

/**
 * Makes the process group `pgid` receive `signal` when this process goes away; returns the
 * function that cancels that (call it once the server has stopped).
 */
export function guardOnExit(pgid: number, signal: NodeJS.Signals): () => void {
  if (registryFile === undefined) startWatchdog();
  const id = nextId++;
  entries.set(id, { pgid, signal });
  writeRegistry();
  return () => {
    if (entries.delete(id)) writeRegistry();
  };
}
