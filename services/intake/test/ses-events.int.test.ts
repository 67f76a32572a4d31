import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EVENTS, topicName, type MailEventV1 } from '@privacy-relay/shared/events';
import { createHttpServer } from '@privacy-relay/shared/http';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { registerSesEventRoutes } from '@privacy-relay/intake/entry-points/http/ses-events';
import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  createTestTopics,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../test/support/test-env';
import { TEST_CERT_URL, TEST_TOPIC_ARN, createTestSnsPki, signedSnsMessage, type TestSnsPki } from './email-sns-signer';

/** An SES event-publishing notification for a message the relay sent, tagged with its case and contact. */
const sesEvent = (eventType: string, detail: Record<string, unknown>, tags: Record<string, string[]> = {}) => {
  const messageId = `0102${randomUUID().replace(/-/g, '')}-000000`;
  return {
    messageId,
    text: JSON.stringify({
      eventType,
      mail: {
        timestamp: '2026-11-30T08:00:00.000Z',
        source: 'privacy-relay@relay.example',
        messageId,
        destination: ['privacy@acme.example'],
        headersTruncated: false,
        tags: { 'ses:configuration-set': ['forwards'], ...tags },
      },
      ...detail,
    }),
  };
};

describe('SES event notifications over SNS (POST /v1/ses/events) into real Kafka', () => {
  let kafka: Kafka;
  let publisher: KafkaEventPublisher;
  let pki: TestSnsPki;
  let app: FastifyInstance;
  let base: string;
  let topic: string;
  const ignored: string[] = [];
  const fetched: string[] = [];

  beforeAll(async () => {
    const ns = testNamespace('sesevents');
    const logger = testLogger('ses-events');
    kafka = testKafka();
    [pki] = await Promise.all([createTestSnsPki(), createTestTopics(kafka, ns.topicPrefix)]);
    topic = topicName(EVENTS.mailEventV1, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    app = createHttpServer({ logger, readiness: [], metrics: new Registry() });
    registerSesEventRoutes(app, {
      config: { sesEventsTopicArns: [TEST_TOPIC_ARN], snsTrustedCaFile: undefined },
      publish: (event) => publisher.publish(EVENTS.mailEventV1, event),
      logger,
      onIgnored: (eventType) => ignored.push(eventType),
      trustedCaPem: pki.caPem,
      fetchText: async (url) => {
        fetched.push(url.href);
        if (url.href === TEST_CERT_URL) return pki.certPem;
        if (url.searchParams.get('Action') === 'ConfirmSubscription') return '<ConfirmSubscriptionResponse/>';
        throw new Error('not found');
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await publisher?.disconnect().catch(() => undefined);
  });

  const post = async (body: unknown) => {
    const response = await fetch(`${base}/v1/ses/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** Every mail event on the topic; call after a 200 (acks=all): what it published is there. */
  const mailEvents = async (): Promise<MailEventV1[]> => {
    const messages = await eventually(
      () => readTopic(kafka, topic, { timeoutMs: 10_000 }),
      30_000,
      `the messages of ${topic}`,
    );
    return messages.map((message) => EVENTS.mailEventV1.parse(JSON.parse(message.value)));
  };
  /** A genuine Delivery posted after the case under test: once it is on the topic, so is anything before it. */
  const marker = async () => {
    const { messageId, text } = sesEvent('Delivery', { delivery: { timestamp: '2026-11-30T08:00:02.000Z' } });
    expect((await post(signedSnsMessage(pki.keyPem, { message: text }))).status).toBe(200);
    const events = await mailEvents();
    expect(events.some((event) => event.payload.sesMessageId === messageId)).toBe(true);
    return events;
  };

  it('When SES reports a signed permanent Bounce, then one mail event says bounced, Permanent, with the case tags, its own time and the signed notification', async () => {
    const caseId = randomUUID();
    const { messageId, text } = sesEvent(
      'Bounce',
      {
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'OnAccountSuppressionList',
          bouncedRecipients: [{ emailAddress: 'privacy@acme.example', action: 'failed', status: '5.1.1' }],
          timestamp: '2026-11-30T08:05:09.000Z',
          feedbackId: 'feedback-1',
        },
      },
      { caseId: [caseId], contactIndex: ['0'] },
    );
    const signed = signedSnsMessage(pki.keyPem, { message: text });
    const response = await post(signed);
    expect(response).toMatchObject({ status: 200, body: { status: 'published', mailStatus: 'bounced' } });

    const events = (await mailEvents()).filter((event) => event.payload.sesMessageId === messageId);
    expect(events).toHaveLength(1);
    expect(events[0]!.id).toBe(response.body.eventId);
    expect(events[0]!.payload).toMatchObject({
      status: 'bounced',
      bounceType: 'Permanent',
      bounceSubType: 'OnAccountSuppressionList',
      caseId,
      contactIndex: 0,
      snsMessageId: signed.MessageId,
      sesEventType: 'Bounce',
      // The bounce's own time, not the send time (mail.timestamp).
      occurredAt: '2026-11-30T08:05:09.000Z',
      recipients: ['privacy@acme.example'],
    });
    // The evidence is the body exactly as signed: it verifies again.
    expect(JSON.parse(events[0]!.payload.rawNotification!)).toEqual(signed);
  });

  it('When SNS delivers the same notification twice, then both carry the same event id and SNS message id (the relay deduplicates by them)', async () => {
    const { messageId, text } = sesEvent('Complaint', {
      complaint: {
        complainedRecipients: [{ emailAddress: 'privacy@acme.example' }],
        timestamp: '2026-11-30T09:00:00Z',
      },
    });
    const signed = signedSnsMessage(pki.keyPem, { message: text });
    const first = await post(signed);
    const second = await post(signed);
    expect(first).toMatchObject({ status: 200, body: { mailStatus: 'complained' } });
    expect(second.body.eventId).toBe(first.body.eventId);
    const events = (await mailEvents()).filter((event) => event.payload.sesMessageId === messageId);
    expect(new Set(events.map((event) => event.id)).size).toBe(1);
    expect(new Set(events.map((event) => event.payload.snsMessageId))).toEqual(new Set([signed.MessageId]));
  });

  it('When a Bounce notification is tampered with after signing, then it is refused 403 and no event is published', async () => {
    const { messageId, text } = sesEvent('Bounce', {
      bounce: { bounceType: 'Transient', bouncedRecipients: [], timestamp: '2026-11-30T08:05:09.000Z' },
    });
    const signed = signedSnsMessage(pki.keyPem, { message: text });
    const tampered = { ...signed, Message: text.replace('Transient', 'Permanent') };
    const response = await post(tampered);
    expect(response).toMatchObject({ status: 403, body: { error: { code: 'SNS_SIGNATURE_INVALID' } } });
    expect((await marker()).filter((event) => event.payload.sesMessageId === messageId)).toEqual([]);
  });

  it('When a notification comes from a topic that is not allowed, then it is refused 403 and no event is published', async () => {
    const { messageId, text } = sesEvent('Delivery', { delivery: { timestamp: '2026-11-30T08:00:02.000Z' } });
    const response = await post(
      signedSnsMessage(pki.keyPem, { message: text, topicArn: 'arn:aws:sns:eu-west-2:123456789012:someone-else' }),
    );
    expect(response.status).toBe(403);
    expect((await marker()).filter((event) => event.payload.sesMessageId === messageId)).toEqual([]);
  });

  it('When SNS asks to confirm the subscription, then its SubscribeURL is fetched, as for inbound mail', async () => {
    const signed = signedSnsMessage(pki.keyPem, {
      type: 'SubscriptionConfirmation',
      message: 'You have chosen to subscribe to the topic',
    });
    const response = await post(signed);
    expect(response).toMatchObject({ status: 200, body: { status: 'subscribed' } });
    expect(fetched).toContain(signed.SubscribeURL);
  });

  it('When SES reports an event type that is no delivery fact (Open), then it is acknowledged 200, counted and not published', async () => {
    const { messageId, text } = sesEvent('Open', { open: { timestamp: '2026-11-30T10:00:00Z' } });
    const response = await post(signedSnsMessage(pki.keyPem, { message: text }));
    expect(response).toMatchObject({ status: 200, body: { status: 'ignored' } });
    expect(ignored).toContain('Open');
    expect((await marker()).filter((event) => event.payload.sesMessageId === messageId)).toEqual([]);
  });
});
