import { connect, type Socket } from 'node:net';

/** One SMTP reply: its code and its text lines (multi-line replies joined). */
export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * A bare SMTP client speaking exactly the bytes a test gives it, for what a well-behaved client
 * library will not send (oversized SIZE, junk DATA, a session cut short).
 */
export class RawSmtpClient {
  private buffer = '';
  private readonly waiting: Array<(reply: SmtpReply) => void> = [];
  private readonly replies: SmtpReply[] = [];
  private pending: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<{ client: RawSmtpClient; greeting: SmtpReply }> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawSmtpClient(socket);
    return { client, greeting: await client.next() };
  }

  /** Sends one command line and waits for its reply. */
  command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /** Sends DATA, the message (dot-stuffed) and the terminating dot; resolves with the final reply. */
  async data(message: Buffer): Promise<SmtpReply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    const stuffed = Buffer.from(message.toString('latin1').replace(/(^|\r\n)\./g, '$1..'), 'latin1');
    const ending = stuffed.subarray(-2).toString('latin1') === '\r\n' ? '.\r\n' : '\r\n.\r\n';
    this.socket.write(Buffer.concat([stuffed, Buffer.from(ending, 'latin1')]));
    return this.next();
  }

  /** Writes bytes as they are (part of a message after DATA's 354, say); no reply is awaited. */
  write(bytes: string): void {
    this.socket.write(bytes, 'latin1');
  }

  /** The next reply (after `write`). */
  reply(): Promise<SmtpReply> {
    return this.next();
  }

  async close(): Promise<void> {
    this.socket.end('QUIT\r\n');
    this.socket.destroy();
  }

  private next(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 2);
      this.pending.push(line.slice(4));
      if (line.charAt(3) === '-') continue;
      const reply = { code: Number(line.slice(0, 3)), text: this.pending.join('\n') };
      this.pending = [];
      const waiter = this.waiting.shift();
      if (waiter) waiter(reply);
      else this.replies.push(reply);
    }
  }
}
