import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import { intakeRequestSchema, type IncomingRequest } from '../domain/intake-request';
import { acceptRequest, type AcceptRequestDeps } from './accept-request';
import type { LedgerEntry, RequestLedger, VerificationStore } from './ports';
import { InMemoryVerificationStore } from './testing/in-memory-verification-store';
import { WriteBehindVerificationStore } from './write-behind-states';

class InMemoryLedger implements RequestLedger {
  readonly entries = new Map<string, LedgerEntry>();
  async claim(entry: LedgerEntry) {
    const existing = this.entries.get(entry.idempotencyKey);
    if (existing) return { entry: existing, created: false };
    this.entries.set(entry.idempotencyKey, entry);
    return { entry, created: true };
  }
  async has(idempotencyKey: string) {
    return this.entries.has(idempotencyKey);
  }
}

function harness() {
  const published: RequestReceivedV1[] = [];
  const attempted: RequestReceivedV1[] = [];
  let kafkaUp = true;
  let next = 0;
  const stored = new InMemoryVerificationStore();
  const states = new WriteBehindVerificationStore(stored, (error) => {
    throw error;
  });
  const deps: AcceptRequestDeps = {
    ledger: new InMemoryLedger(),
    clock: { now: () => new Date('2026-03-02T09:15:00.000Z') },
    ids: { newRequestId: () => `0193a1c2-7d4e-7a10-9b7c-${String(next++).padStart(12, '0')}` },
    states,
    secret: 'unit-test-secret-0123456789abcdef012345',
    verificationTtlMs: 72 * 3600_000,
    publisher: {
      async publishReceived(event) {
        attempted.push(event);
        if (!kafkaUp) throw new AppError('KAFKA_UNAVAILABLE', 'down', { retriable: true, httpStatus: 503 });
        published.push(event);
      },
    },
  };
  return { deps, published, attempted, states, stored, setKafka: (up: boolean) => (kafkaUp = up) };
}

const incoming = (key: string): IncomingRequest => ({
  channel: 'api',
  idempotencyKey: key,
  verification: { status: 'pending' },
  request: intakeRequestSchema.parse({
    requester: { name: 'Ada Example', email: 'ada@example.org' },
    rights: ['access', 'erasure', 'access'],
    company: { name: 'Juro Online Limited' },
    text: 'Please.',
  }),
});

describe('acceptRequest', () => {
  it('When a request is accepted, then one schema-valid event is published with its reference', async () => {
    const { deps, published } = harness();
    const accepted = await acceptRequest(deps, incoming('api:k1'));
    expect(accepted.duplicate).toBe(false);
    expect(accepted.reference).toMatch(/^PR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(published).toHaveLength(1);
    const event = EVENTS.requestReceivedV1.parse(published[0]);
    expect(event.payload).toMatchObject({
      requestId: accepted.requestId,
      reference: accepted.reference,
      rights: ['access', 'erasure'],
      idempotencyKey: 'api:k1',
    });
  });

  it('When intake made the key up, then only the event is written: no claim, and the state is left to the mail consumer', async () => {
    const { deps, published, states, stored } = harness();
    const accepted = await acceptRequest(deps, { ...incoming('api:generated:1'), idempotencyKeyGenerated: true });
    expect((deps.ledger as InMemoryLedger).entries.size).toBe(0);
    expect(published.map((event) => event.payload.requestId)).toEqual([accepted.requestId]);
    expect(states.pendingWrites).toBe(0);
    await states.flush();
    expect(stored.records.size).toBe(0);
  });

  it('When the same key comes again, then the same reference is returned and nothing more is published', async () => {
    const { deps, published } = harness();
    const first = await acceptRequest(deps, incoming('api:k1'));
    const second = await acceptRequest(deps, incoming('api:k1'));
    expect(second).toEqual({ ...first, duplicate: true });
    expect(published).toHaveLength(1);
  });

  it('When Kafka is down, then the call fails retriably; when it is back, the retry publishes the very same event once', async () => {
    const { deps, published, attempted, setKafka } = harness();
    setKafka(false);
    await expect(acceptRequest(deps, incoming('api:k2'))).rejects.toMatchObject({ retriable: true, httpStatus: 503 });
    expect(published).toHaveLength(0);
    setKafka(true);
    const retried = await acceptRequest(deps, incoming('api:k2'));
    expect(published).toHaveLength(1);
    expect(published[0]?.payload.requestId).toBe(retried.requestId);
    // The event that failed, sent again: same id, request id, reference and receipt time.
    expect(published[0]).toEqual(attempted[0]);
    await acceptRequest(deps, incoming('api:k2'));
    expect(published).toHaveLength(1);
  });

  it('When Kafka is down, then no state is stored; once accepted, the state holds no personal data', async () => {
    const { deps, states, stored, setKafka } = harness();
    setKafka(false);
    await expect(acceptRequest(deps, incoming('api:k3'))).rejects.toMatchObject({ retriable: true });
    await states.flush();
    expect(stored.records.size).toBe(0);
    setKafka(true);
    const accepted = await acceptRequest(deps, incoming('api:k3'));
    const state = await states.find(accepted.requestId);
    expect(state).toMatchObject({ reference: accepted.reference, status: 'pending', codeAttempts: 0 });
    expect(JSON.stringify(state)).not.toMatch(/ada@example\.org|Ada Example|Juro|Please/);
  });

  it('When an API key or a form token comes back with other content, then it is refused with 422 and nothing more is published', async () => {
    const { deps, published } = harness();
    for (const channel of ['api', 'web-form'] as const) {
      const first = { ...incoming(`${channel}:k6`), channel };
      await acceptRequest(deps, first);
      const edited = { ...first, request: { ...first.request, text: 'Please delete it all.' } };
      await expect(acceptRequest(deps, edited)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        httpStatus: 422,
      });
      // The very same content is still the retry it was, rights in any order.
      await expect(acceptRequest(deps, first)).resolves.toMatchObject({ duplicate: true });
      const reordered = { ...first, request: { ...first.request, rights: [...first.request.rights].reverse() } };
      await expect(acceptRequest(deps, reordered)).resolves.toMatchObject({ duplicate: true });
    }
    expect(published).toHaveLength(2);
  });

  it('When a mail comes again under the same Message-ID with other content, then the first delivery stands', async () => {
    const { deps, published } = harness();
    const first = { ...incoming('email:<a@b>'), channel: 'email-smtp' as const };
    const accepted = await acceptRequest(deps, first);
    const other = { ...first, request: { ...first.request, text: 'Something else.' } };
    await expect(acceptRequest(deps, other)).resolves.toEqual({ ...accepted, duplicate: true });
    expect(published).toHaveLength(1);
  });

  it('When two keys differ, then they are two requests with different references', async () => {
    const { deps } = harness();
    const a = await acceptRequest(deps, incoming('api:a'));
    const b = await acceptRequest(deps, incoming('api:b'));
    expect(a.requestId).not.toBe(b.requestId);
    expect(a.reference).not.toBe(b.reference);
  });
});

describe('WriteBehindVerificationStore', () => {
  /** A store whose inserts wait until the test lets them through (or fails them). */
  /** Lets the event loop turn until `reached` holds (a positive marker, not a wait for time). */
  async function turnsUntil(reached: () => boolean): Promise<void> {
    for (let turn = 0; !reached(); turn++) {
      if (turn > 1000) throw new Error('never reached');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  function gatedStore() {
    const store = new InMemoryVerificationStore();
    const gates: Array<{ pass: () => void; fail: (error: Error) => void }> = [];
    const create = store.create.bind(store);
    store.create = (record) =>
      new Promise((resolve, reject) =>
        gates.push({ pass: () => resolve(create(record)), fail: (error) => reject(error) }),
      );
    return { store, gates };
  }

  it('When the state is still being written, then the answer does not wait for it, and a retry and a read of that request do', async () => {
    const { store, gates } = gatedStore();
    const { deps, published } = harness();
    deps.states = new WriteBehindVerificationStore(store, (error) => {
      throw error;
    });
    const states = deps.states as WriteBehindVerificationStore;

    const accepted = await acceptRequest(deps, incoming('api:k5'));
    expect(gates).toHaveLength(1);
    expect(states.pendingWrites).toBe(1);

    let retried: unknown;
    let read: unknown;
    void acceptRequest(deps, incoming('api:k5')).then((result) => (retried = result));
    void states.find(accepted.requestId).then((state) => (read = state));
    await new Promise((resolve) => setImmediate(resolve));
    expect([retried, read]).toEqual([undefined, undefined]);

    gates[0]!.pass();
    await states.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toMatchObject({ requestId: accepted.requestId, reference: accepted.reference, status: 'pending' });
    // The retry saw the stored state: the same answer, and the event was not sent again.
    expect(retried).toEqual({ ...accepted, duplicate: true });
    expect(published).toHaveLength(1);
  });

  const record = {
    requestId: 'r1',
    reference: 'PR-AAAA-BBBB',
    channel: 'api',
    rights: ['access'],
    receivedAt: new Date(0),
    status: 'pending',
    codeAttempts: 0,
    expiresAt: new Date(1),
  } as const;

  it('When a write fails once, then it is tried again and stored, and nothing is reported', async () => {
    const { store, gates } = gatedStore();
    const failures: unknown[] = [];
    const states = new WriteBehindVerificationStore(store, (error) => failures.push(error), { retryDelaysMs: [0] });
    states.storeBehind({ ...record, rights: [...record.rights] });
    gates[0]!.fail(new Error('not primary'));
    await turnsUntil(() => gates.length === 2); // the retry has reached the store
    gates[1]!.pass();
    await expect(states.flush()).resolves.toBe(true);
    expect(failures).toEqual([]);
    await expect(states.find('r1')).resolves.toMatchObject({ reference: 'PR-AAAA-BBBB' });
  });

  it('When a state is written behind the answer, then the store may hold it back (deferrable); a create someone waits for may not', async () => {
    const store = new InMemoryVerificationStore();
    const asked: Array<{ requestId: string; deferrable: boolean }> = [];
    const create = store.create.bind(store);
    const port: VerificationStore = store;
    port.create = (written, options) => {
      asked.push({ requestId: written.requestId, deferrable: options?.deferrable === true });
      return create(written);
    };
    const states = new WriteBehindVerificationStore(store, (error) => {
      throw error;
    });
    states.storeBehind({ ...record, rights: [...record.rights] });
    await states.flush();
    await states.create({ ...record, requestId: 'r2', rights: [...record.rights] });
    expect(asked).toEqual([
      { requestId: 'r1', deferrable: true },
      { requestId: 'r2', deferrable: false },
    ]);
  });

  it('When a write never ends, then flush gives up at its deadline and says so', async () => {
    const { store } = gatedStore();
    const states = new WriteBehindVerificationStore(store, () => undefined, { flushTimeoutMs: 20 });
    states.storeBehind({ ...record, rights: [...record.rights] });
    await expect(states.flush()).resolves.toBe(false);
    expect(states.pendingWrites).toBe(1);
  });

  it('When the reporter itself throws, then nothing is left unhandled and flush still ends', async () => {
    const { store, gates } = gatedStore();
    let reported = 0;
    const states = new WriteBehindVerificationStore(
      store,
      () => {
        reported++;
        throw new Error('reporter broke');
      },
      { retryDelaysMs: [] },
    );
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    // eslint-disable-next-line no-restricted-globals -- the test watches the process for unhandled rejections
    process.on('unhandledRejection', listener);
    try {
      states.storeBehind({ ...record, rights: [...record.rights] });
      gates[0]!.fail(new Error('database down'));
      // Nobody waits for a write behind the answer until stop: its failure must not go unhandled.
      // Node reports an unhandled rejection once the microtasks after it have run, before the
      // next turn of the event loop: one turn after the reporter threw is the marker.
      await turnsUntil(() => reported === 1);
      await new Promise((resolve) => setImmediate(resolve));
      await expect(states.flush()).resolves.toBe(true);
    } finally {
      // eslint-disable-next-line no-restricted-globals -- see above
      process.off('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([]);
  });

  it('When the write fails, then the failure is reported (not thrown at anyone) and flush still ends', async () => {
    const { store, gates } = gatedStore();
    const failures: unknown[] = [];
    const states = new WriteBehindVerificationStore(store, (error) => failures.push(error), { retryDelaysMs: [] });
    states.storeBehind({ ...record, rights: [...record.rights] });
    gates[0]!.fail(new Error('database down'));
    await states.flush();
    expect(failures).toEqual([new Error('database down')]);
    expect(states.pendingWrites).toBe(0);
    await expect(states.find('r1')).resolves.toBeUndefined();
  });
});
