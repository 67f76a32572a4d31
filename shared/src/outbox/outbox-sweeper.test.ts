import { AppError } from '../errors';
import { EVENTS } from '../events';
import { createLogger } from '../logger';
import { pendingOutbox, type OutboxSource, type PendingOutbox } from './outbox';
import { OutboxSweeper } from './outbox-sweeper';

const logger = createLogger({ name: 'outbox-sweeper-test', level: 'silent' });
const now = new Date('2026-03-02T09:00:00Z');

function verified(requestId: string) {
  return EVENTS.requestVerifiedV1.create(
    { requestId, verifiedAt: now.toISOString(), method: 'email-link' },
    { correlationId: requestId },
  );
}

function source(entries: PendingOutbox[]) {
  const marked: Array<{ id: string; batch: string }> = [];
  const outbox: OutboxSource = {
    findPending: async () => entries.filter((entry) => !marked.some((mark) => mark.id === entry.id)),
    markPublished: async (id, batch) => void marked.push({ id, batch }),
  };
  return { outbox, marked };
}

function entry(requestId: string, queuedAt: Date): PendingOutbox {
  const fields = pendingOutbox([verified(requestId)], queuedAt);
  return { id: requestId, batch: fields.outboxBatch, events: fields.outbox, queuedAt };
}

describe('OutboxSweeper', () => {
  it('When outboxes are pending, then the old enough ones are published as stored and marked with their batch; a young one is left to its writer', async () => {
    const old = entry('0193a1c2-7d4e-4a10-9b7c-000000000001', new Date(now.getTime() - 10_000));
    const young = entry('0193a1c2-7d4e-4a10-9b7c-000000000002', now);
    const { outbox, marked } = source([old, young]);
    const sent: string[] = [];
    const sweeper = new OutboxSweeper({
      name: 'test',
      source: outbox,
      publisher: { publish: async (_contract, envelope) => void sent.push(JSON.stringify(envelope)) },
      logger,
      intervalMs: 5_000,
      now: () => now,
    });
    expect(await sweeper.sweepOnce()).toEqual({ published: 1, failed: false });
    expect(sent).toEqual([old.events[0]!.envelope]);
    expect(marked).toEqual([{ id: old.id, batch: old.batch }]);
  });

  it('When a publish fails, then the sweep stops there and marks nothing of it', async () => {
    const first = entry('0193a1c2-7d4e-4a10-9b7c-000000000003', new Date(0));
    const second = entry('0193a1c2-7d4e-4a10-9b7c-000000000004', new Date(0));
    const { outbox, marked } = source([first, second]);
    let attempts = 0;
    const sweeper = new OutboxSweeper({
      name: 'test',
      source: outbox,
      publisher: {
        publish: async () => {
          attempts += 1;
          throw new AppError('KAFKA_UNAVAILABLE', 'down', { retriable: true });
        },
      },
      logger,
      intervalMs: 5_000,
      now: () => now,
    });
    expect(await sweeper.sweepOnce()).toEqual({ published: 0, failed: true });
    expect(attempts).toBe(1);
    expect(marked).toEqual([]);
  });
});
