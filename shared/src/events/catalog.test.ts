import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_EVENT_CONTRACTS, EVENTS, allTopicNames, deadLetterTopicName, topicName } from './catalog';
import { EventValidationError } from './contract';

const fixtureOf = (folder: string, version: number): unknown =>
  JSON.parse(readFileSync(join(__dirname, folder, 'fixtures', `v${version}.json`), 'utf8'));

const folderOf = (type: string) => type.replace(/^privacy\./, '').replace(/\./g, '-');

describe('event catalog', () => {
  it.each(ALL_EVENT_CONTRACTS.map((contract) => [contract.topic, contract] as const))(
    'When the kept fixture of %s is parsed, then it validates and keeps its key',
    (_topic, contract) => {
      const envelope = contract.parse(fixtureOf(folderOf(contract.type), contract.version));
      expect(envelope.type).toBe(contract.type);
      expect(envelope.version).toBe(contract.version);
      expect(contract.keyOf(envelope.payload as never)).toMatch(/\S/);
    },
  );

  it('When a folder holds a fixture, then the catalog has its contract (no orphan fixtures)', () => {
    const folders = readdirSync(__dirname, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(folders).toEqual([...new Set(ALL_EVENT_CONTRACTS.map((contract) => folderOf(contract.type)))].sort());
  });

  it('When topics are listed, then each has its dead-letter twin and the prefix', () => {
    const topics = allTopicNames('t1.');
    expect(topics).toHaveLength(ALL_EVENT_CONTRACTS.length * 2);
    expect(topics).toContain('t1.privacy.request.received.v1');
    expect(topics).toContain('t1.privacy.request.received.v1.dlq');
    expect(deadLetterTopicName(topicName(EVENTS.caseClosedV1))).toBe('privacy.case.closed.v1.dlq');
  });

  it('When a payload breaks the contract, then parse throws a non-retriable error naming the field, not the value', () => {
    const fixture = fixtureOf('request-received', 1) as { payload: { requester: { email: string } } };
    fixture.payload.requester.email = 'not-an-email-but-secret';
    const error = (() => {
      try {
        EVENTS.requestReceivedV1.parse(fixture);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).retriable).toBe(false);
    expect((error as Error).message).toContain('payload.requester.email');
    expect((error as Error).message).not.toContain('not-an-email-but-secret');
  });

  it('When an event is created, then it gets a UUIDv7 id, the time given and the correlation id', () => {
    const at = new Date('2026-05-01T10:00:00Z');
    const envelope = EVENTS.requestVerifiedV1.create(
      { requestId: '0193a1c2-7d4e-7a10-9b7c-3f1e2d4c5b6a', verifiedAt: at.toISOString(), method: 'email-link' },
      { correlationId: 'corr-1', occurredAt: at },
    );
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(envelope.occurredAt).toBe('2026-05-01T10:00:00.000Z');
    expect(envelope.correlationId).toBe('corr-1');
    expect(() => EVENTS.requestVerifiedV1.parse(envelope)).not.toThrow();
  });

  it('When an upserted tenant comes without its record, then the contract rejects it', () => {
    expect(() =>
      EVENTS.tenantDirectoryChangedV1.create(
        { tenantId: 't-1', changedAt: new Date().toISOString(), change: 'upserted' },
        { correlationId: 't-1' },
      ),
    ).toThrow(/tenant/);
  });

  it('When a newer producer adds an optional field, then this version still parses (fields are additive)', () => {
    const fixture = fixtureOf('case-closed', 1) as { payload: Record<string, unknown> };
    fixture.payload.addedLater = 'x';
    expect(() => EVENTS.caseClosedV1.parse(fixture)).not.toThrow();
  });
});
