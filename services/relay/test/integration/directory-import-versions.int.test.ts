import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { runDirectoryImport } from '@privacy-relay/relay/cli/directory-import';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { relayTestEnv } from '../../../../test/support/relay-env';

describe('Directory imports run again out of order', () => {
  const ns = testNamespace('relaydirimport');
  const logger = testLogger('relay-import-test');
  const env = relayTestEnv(ns);
  const directoryTopic = topicName(EVENTS.tenantDirectoryChangedV1, ns.topicPrefix);
  const dir = mkdtempSync(join(tmpdir(), 'relay-import-versions-'));
  let kafka: Kafka;
  let connection: Connection;
  let relay: RelayService;
  let markers = 0;

  const importFile = async (name: string, text: string, asOf?: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const output: string[] = [];
    const code = await runDirectoryImport(file, { env, asOf, out: (line) => output.push(line) });
    expect({ code, output }).toEqual({ code: 0, output: [expect.stringMatching(/^Imported /)] });
  };

  /** One marker change on every partition, then waits until the relay indexed them all: everything before is applied. */
  const appliedSoFar = async () => {
    const round = ++markers;
    const producer = kafka.producer();
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicMetadata({ topics: [directoryTopic] })).topics[0]?.partitions;
    await admin.disconnect();
    const ids = (partitions ?? []).map(({ partitionId }) => ({
      partitionId,
      tenantId: `marker-${round}-${partitionId}`,
    }));
    await producer.send({
      topic: directoryTopic,
      messages: ids.map(({ partitionId, tenantId }) => ({
        partition: partitionId,
        key: tenantId,
        value: JSON.stringify(
          EVENTS.tenantDirectoryChangedV1.create(
            {
              tenantId,
              changedAt: new Date().toISOString(),
              change: 'upserted',
              tenant: { legalName: `Marker ${tenantId}`, aliases: [], domains: [], contacts: [], regime: 'uk-gdpr' },
            },
            { correlationId: tenantId },
          ),
        ),
      })),
    });
    await producer.disconnect();
    expect(ids.length).toBeGreaterThan(0);
    await eventually(
      async () => ids.every(({ tenantId }) => relay.tenantIndex.has(tenantId)) || undefined,
      30_000,
      `markers of round ${round}`,
    );
  };

  const tenantsByDomain = (domain: string) =>
    relay.tenantIndex.slotsForDomain(domain).map((slot) => relay.tenantIndex.tenantIdOf(slot));

  const stored = async (tenantId: string) =>
    connection.collection('tenants').findOne({ _id: tenantId as never }, { projection: { _id: 0 } });

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    connection = await connectTestDatabase(ns.dbName, logger);
    relay = createRelayService(loadConfig(relayConfigSpec, env), logger);
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await discardTestDatabase(connection);
  });

  it('When an older file is imported again after a newer one that changed a tenant and deleted another, then the newer state stands and the deleted tenant stays deleted', async () => {
    const fileA =
      '{"id":"tenant-alpha","legalName":"Alpha Foods Limited","domains":["alpha.example"]}\n' +
      '{"id":"tenant-beta","legalName":"Beta Print Limited","domains":["beta.example"]}\n';
    await importFile('a.jsonl', fileA, '2026-01-01T00:00:00.000Z');
    await appliedSoFar();
    expect(tenantsByDomain('alpha.example')).toEqual(['tenant-alpha']);
    expect(tenantsByDomain('beta.example')).toEqual(['tenant-beta']);

    await importFile(
      'b.csv',
      'tenantId,change,changedAt,legalName,domains\n' +
        'tenant-alpha,,2026-02-01T00:00:00.000Z,Alpha Kitchens Limited,alpha-kitchens.example\n' +
        'tenant-beta,deleted,2026-02-01T00:00:00.000Z,,\n',
    );
    await appliedSoFar();
    expect(tenantsByDomain('alpha-kitchens.example')).toEqual(['tenant-alpha']);
    expect(relay.tenantIndex.has('tenant-beta')).toBe(false);

    await importFile('a-again.jsonl', fileA, '2026-01-01T00:00:00.000Z');
    await appliedSoFar();
    expect(tenantsByDomain('alpha-kitchens.example')).toEqual(['tenant-alpha']);
    expect(tenantsByDomain('alpha.example')).toEqual([]);
    expect(relay.tenantIndex.has('tenant-beta')).toBe(false);
    expect(await stored('tenant-alpha')).toMatchObject({
      legalName: 'Alpha Kitchens Limited',
      domains: ['alpha-kitchens.example'],
      changedAt: new Date('2026-02-01T00:00:00.000Z'),
      deleted: false,
    });
    expect(await stored('tenant-beta')).toEqual({ changedAt: new Date('2026-02-01T00:00:00.000Z'), deleted: true });

    // The same version as the deletion does not revive the tenant either: on a tie the tombstone stands.
    await importFile(
      'beta-tie.jsonl',
      '{"id":"tenant-beta","legalName":"Beta Print Limited"}\n',
      '2026-02-01T00:00:00Z',
    );
    await appliedSoFar();
    expect(relay.tenantIndex.has('tenant-beta')).toBe(false);
    expect(await stored('tenant-beta')).toEqual({ changedAt: new Date('2026-02-01T00:00:00.000Z'), deleted: true });
  });

  it('When a file with an older version per row is imported after a newer one, then the newer change stands', async () => {
    await importFile(
      'new.jsonl',
      '{"id":"tenant-gamma","legalName":"Gamma Tools Limited","domains":["gamma-tools.example"],"changedAt":"2026-05-01T00:00:00.000Z"}\n',
    );
    await importFile(
      'old.jsonl',
      '{"id":"tenant-gamma","legalName":"Gamma Old Limited","domains":["gamma-old.example"],"changedAt":"2026-04-01T00:00:00.000Z"}\n',
    );
    await appliedSoFar();
    expect(tenantsByDomain('gamma-tools.example')).toEqual(['tenant-gamma']);
    expect(tenantsByDomain('gamma-old.example')).toEqual([]);
    expect(await stored('tenant-gamma')).toMatchObject({ legalName: 'Gamma Tools Limited' });
  });
});
