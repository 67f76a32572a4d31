import type { Readable } from 'node:stream';
import { hashPassword } from '../domain/console';

/** Shorter passwords are refused: an operator's password guards personal data. */
export const MIN_PASSWORD_LENGTH = 12;

/** A terminal's stdin: what hidden typing needs of it. */
interface TerminalInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** The first line of a pipe (`printf %s "$PASSWORD" | relay console hash-password`). */
async function readPiped(input: Readable): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Typed at a terminal without echo (never on the command line, where `ps` and the shell history would keep it). */
function readHidden(input: TerminalInput, prompt: (text: string) => void): Promise<string> {
  prompt('Password (not shown): ');
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      input.setRawMode?.(false);
      input.pause();
      input.off('data', onData);
      prompt('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/**
 * `relay console hash-password`: reads a password (typed, hidden; or piped) and prints its scrypt
 * hash for RELAY_CONSOLE_USERS (`username:role:<hash>`).
 */
export async function runHashPassword(io: {
  input: TerminalInput;
  out: (line: string) => void;
  err: (text: string) => void;
}): Promise<number> {
  const password = io.input.isTTY ? await readHidden(io.input, io.err) : await readPiped(io.input);
  if (password.length < MIN_PASSWORD_LENGTH) {
    io.err(`relay: the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    return 2;
  }
  io.out(await hashPassword(password));
  return 0;
}
