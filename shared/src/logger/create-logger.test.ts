import { Writable } from 'node:stream';
import { createLogger } from './create-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', destination }) };
}

describe('createLogger', () => {
  it('When personal data is logged under known keys at any depth, then the values are redacted', () => {
    const { lines, logger } = capture();
    logger.info(
      { requestId: 'r-1', requester: { name: 'Ada', email: 'ada@example.org' }, deep: { a: { text: 'my story' } } },
      'received',
    );
    const line = JSON.stringify(lines[0]);
    expect(lines[0]?.requestId).toBe('r-1');
    expect(line).not.toContain('Ada');
    expect(line).not.toContain('ada@example.org');
    expect(line).not.toContain('my story');
  });

  it('When an email address hides in a message or an error, then it is masked', () => {
    const { lines, logger } = capture();
    logger.warn('bounce for bob@example.com');
    logger.error({ err: new Error('E11000 duplicate key { email: "carol@example.net" }') }, 'insert failed');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('bob@example.com');
    expect(text).not.toContain('carol@example.net');
    expect(text).toContain('E11000');
    expect(lines[0]?.service).toBe('test');
  });
});
