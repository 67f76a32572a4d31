import { createLogger } from '@privacy-relay/shared/logger';
import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import type { ReceiveEmailOutcome } from './receive-email';
import { SmtpMemoryBudget, holdsSmugglingDot, receiveSmtpData, type SmtpDataCallback } from './smtp-data';

const logger = createLogger({ name: 'smtp-data-test', level: 'silent' });
const accepted: ReceiveEmailOutcome = {
  kind: 'accepted',
  requestId: 'r',
  reference: 'PR-AAAA-BBBB',
  receivedAt: new Date(0),
  duplicate: false,
};

function dataStream(): SMTPServerDataStream {
  return Object.assign(new PassThrough(), { byteLength: 0, sizeExceeded: false }) as unknown as SMTPServerDataStream;
}

/** Runs one DATA; resolves with every call of the callback once the stream and `receive` are done. */
function run(
  drive: (stream: SMTPServerDataStream) => void,
  options: { receive?: () => Promise<ReceiveEmailOutcome>; budget?: SmtpMemoryBudget; maxBytes?: number } = {},
) {
  const calls: Array<{ code: number | undefined; message: string | undefined }> = [];
  const callback: SmtpDataCallback = (error, message) =>
    calls.push({ code: (error as { responseCode?: number } | null | undefined)?.responseCode ?? 250, message });
  const stream = dataStream();
  let received: Promise<unknown> = Promise.resolve();
  receiveSmtpData(stream, callback, {
    maxBytes: options.maxBytes ?? 100,
    budget: options.budget ?? new SmtpMemoryBudget(1000),
    logger,
    receive: () => {
      const receiving = (options.receive ?? (async () => accepted))();
      received = receiving.catch(() => undefined);
      return receiving;
    },
  });
  drive(stream);
  return {
    calls,
    done: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await received;
      await new Promise((resolve) => setImmediate(resolve));
      return calls;
    },
  };
}

describe('SMTP DATA: smtp-server gets exactly one answer per message', () => {
  it('When the stream fails and then ends, then the callback runs once (451)', async () => {
    const { done } = run((stream) => {
      stream.write(Buffer.from('Subject: x\r\n\r\nhello'));
      stream.emit('error', new Error('connection reset'));
      stream.end();
      stream.resume();
    });
    expect((await done()).map((call) => call.code)).toEqual([451]);
  });

  it('When the message was too big and the stream then fails, then the callback runs once (552)', async () => {
    const { done } = run((stream) => {
      Object.assign(stream, { sizeExceeded: true });
      stream.end(Buffer.alloc(150));
      stream.once('end', () => stream.emit('error', new Error('late failure')));
    });
    expect((await done()).map((call) => call.code)).toEqual([552]);
  });

  it('When the stream fails while the mail is being handled, then only the handling answers (250)', async () => {
    let finish: (outcome: ReceiveEmailOutcome) => void = () => undefined;
    const handling = new Promise<ReceiveEmailOutcome>((resolve) => (finish = resolve));
    const { done } = run(
      (stream) => {
        stream.end(Buffer.from('Subject: x\r\n\r\nhello'));
        stream.once('end', () => {
          stream.emit('error', new Error('late failure'));
          finish(accepted);
        });
      },
      { receive: () => handling },
    );
    expect((await done()).map((call) => call.code)).toEqual([250]);
  });

  it('When handling the mail throws, then the callback runs once (451)', async () => {
    const { done } = run((stream) => stream.end(Buffer.from('x')), {
      receive: async () => {
        throw new Error('parse failure');
      },
    });
    expect((await done()).map((call) => call.code)).toEqual([451]);
  });
});

describe('SMTP DATA: messages in progress share one memory budget', () => {
  it('When the budget is taken by a message in progress, then another message is refused 452 (try later), and accepted once the first is done', async () => {
    const budget = new SmtpMemoryBudget(100);
    let first: PassThrough | undefined;
    const inProgress = run(
      (stream) => {
        first = stream as unknown as PassThrough;
        stream.write(Buffer.alloc(10, 'a'));
      },
      { budget },
    );
    const refused = run((stream) => stream.end(Buffer.alloc(10, 'b')), { budget });
    expect((await refused.done()).map((call) => call.code)).toEqual([452]);

    first?.end();
    expect((await inProgress.done()).map((call) => call.code)).toEqual([250]);
    const later = run((stream) => stream.end(Buffer.alloc(10, 'c')), { budget });
    expect((await later.done()).map((call) => call.code)).toEqual([250]);
    expect(budget.reservedBytes).toBe(0);
  });
});

describe('holdsSmugglingDot', () => {
  it.each([
    ['LF . LF', 'a\n.\nMAIL FROM:<x@y>', true],
    ['LF . CR LF', 'a\n.\r\nMAIL FROM:<x@y>', true],
    ['CR LF . LF', 'a\r\n.\nMAIL FROM:<x@y>', true],
    ['CR . CR LF', 'a\r.\r\nMAIL FROM:<x@y>', true],
    ['CR LF . CR', 'a\r\n.\rMAIL FROM:<x@y>', true],
    ['CR LF . LF right after a lone-dot line', 'a\r\n.\r\n.\nMAIL', true],
    ['a first line of "." ended by LF', '.\nMAIL FROM:<x@y>', true],
    ['a lone-dot line in CR LF (dot-stuffed by the client)', 'a\r\n.\r\nb\r\n', false],
    ['a first line of "." in CR LF', '.\r\nb\r\n', false],
    ['dots inside lines and bare LF elsewhere', 'a.b\n..c\r\n. d\r\n', false],
  ])('When the content holds %s, then it is %s', (_what, content, expected) => {
    expect(holdsSmugglingDot(Buffer.from(content, 'latin1'))).toBe(expected);
  });
});
