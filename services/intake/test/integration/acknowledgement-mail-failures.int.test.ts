import { MessageRejected, SESClient, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { AppError } from '@privacy-relay/shared/errors';
import { EVENTS, deadLetterTopicName, topicName, type RequestReceivedV1 } from '@privacy-relay/shared/events';
import { DEAD_LETTER_HEADERS, route, runConsumer, type ConsumerHandle } from '@privacy-relay/shared/kafka';
import { MongoAcknowledgementMailLog } from '@privacy-relay/intake/adapters/mongo/mongo-acknowledgement-mail-log';
import { MongoVerificationStore } from '@privacy-relay/intake/adapters/mongo/mongo-verification-store';
import { SesMailer } from '@privacy-relay/shared/ses';
import { mailAcknowledgement } from '@privacy-relay/intake/application/mail-acknowledgement';
import type { Mailer } from '@privacy-relay/intake/application/ports';
import { RequesterLinks } from '@privacy-relay/intake/application/requester-links';
import type { Kafka, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import { receivedRequestEvent } from '../../../../test/support/fixtures';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  stackEndpoints,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { mailsTo, TEST_LINK_SECRET, uniqueEmail } from '../support/intake-harness';

/**
 * The mail consumer with the real SES endpoint behind it. SES's sandbox refusal is made by a
 * middleware on the SES client (the request to the endpoint is never made for those recipients),
 * so the adapter's own reading of the refusal is what is tested; a send that fails once is made by
 * wrapping the Mailer port. Every event goes to partition 0, in order: a message stuck behind
 * another would show.
 */
describe('Acknowledgement mails: a refused recipient does not block the partition, and a failed mail does not resend the one before', () => {
  const ns = testNamespace('ackfail');
  const logger = testLogger('ackfail');
  const topic = topicName(EVENTS.requestReceivedV1, ns.topicPrefix);
  let kafka: Kafka;
  let producer: Producer;
  let connection: Connection;
  let consumer: ConsumerHandle | undefined;
  let ses: SesMailer;
  const verificationFailures = new Set<string>();

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    connection = await connectTestDatabase(ns.dbName, logger);
    const client = new SESClient({
      region: 'eu-west-2',
      endpoint: stackEndpoints().sesEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    // What SES answers in its sandbox for a recipient that is not a verified identity.
    client.middlewareStack.add(
      (next) => async (args) => {
        const to = (args.input as SendEmailCommandInput).Destination?.ToAddresses ?? [];
        const refused = to.filter((address) => address.startsWith('sandboxed-'));
        if (refused.length > 0) {
          throw new MessageRejected({
            message: `Email address is not verified. The following identities failed the check in region EU-WEST-2: ${refused.join(', ')}`,
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'sesSandboxRefusal' },
    );
    ses = new SesMailer({ from: 'privacy@relay.test', region: 'eu-west-2', client, unverifiedRecipientAttempts: 3 });
    // The verification mail to the addresses in `verificationFailures` fails once (SES unreachable).
    const mailer: Mailer = {
      send: async (mail) => {
        if (mail.subject.startsWith('Confirm') && verificationFailures.delete(mail.to)) {
          throw new AppError('MAIL_UNAVAILABLE', 'SES did not accept the mail', { retriable: true });
        }
        return ses.send(mail);
      },
    };
    const deps = {
      mailer,
      sentMails: new MongoAcknowledgementMailLog(connection),
      states: new MongoVerificationStore(connection),
      clock: { now: () => new Date() },
      links: new RequesterLinks(TEST_LINK_SECRET, 'http://intake.test'),
      secret: TEST_LINK_SECRET,
      verificationTtlMs: 72 * 3600_000,
    };
    consumer = await runConsumer({
      kafka,
      groupId: ns.groupId,
      topicPrefix: ns.topicPrefix,
      logger,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      routes: [route(EVENTS.requestReceivedV1, async (event) => void (await mailAcknowledgement(deps, event)))],
    });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await ses?.close();
    await discardTestDatabase(connection);
  });

  const publishToPartitionZero = (...events: RequestReceivedV1[]) =>
    producer.send({
      topic,
      acks: -1,
      messages: events.map((event) => ({ key: event.payload.requestId, value: JSON.stringify(event), partition: 0 })),
    });

  const requestTo = (email: string) =>
    receivedRequestEvent({ requester: { name: 'Ada Example', email }, receivedAt: new Date().toISOString() });

  it('When SES refuses the recipient as not verified (sandbox), then the event is retried a bounded number of times, dead-lettered with its reason, and the next event on the partition is mailed', async () => {
    const refused = requestTo(uniqueEmail('sandboxed-ackfail'));
    const next = requestTo(uniqueEmail('ackfail-next'));
    await publishToPartitionZero(refused, next);

    const mailsOfNext = await eventually(async () => {
      const mails = await mailsTo(next.payload.requester.email);
      return mails.length >= 2 ? mails : undefined;
    });
    expect(mailsOfNext.map((mail) => mail.subject).sort()).toEqual([
      `Confirm your privacy request ${next.payload.reference}`,
      `We received your privacy request ${next.payload.reference}`,
    ]);
    const dead = await readTopic(kafka, deadLetterTopicName(topic), { atLeast: 1 });
    expect(dead.map((message) => JSON.parse(message.value).payload.requestId)).toEqual([refused.payload.requestId]);
    expect(dead[0]?.headers[DEAD_LETTER_HEADERS.errorCode]).toBe('MAIL_RECIPIENT_NOT_VERIFIED');
    expect(dead[0]?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not verified.*after 3 attempts/i);
    // The reason names no address.
    expect(dead[0]?.headers[DEAD_LETTER_HEADERS.reason]).not.toContain('@');
    expect(await mailsTo(refused.payload.requester.email)).toEqual([]);
  });

  it('When the verification mail fails once after the receipt went out and the event is handled again, then SES holds exactly one receipt and one verification mail', async () => {
    const email = uniqueEmail('ackfail-once');
    verificationFailures.add(email);
    const event = requestTo(email);
    await publishToPartitionZero(event);

    const verification = await eventually(async () =>
      (await mailsTo(email)).find((mail) => mail.subject.startsWith('Confirm')),
    );
    expect(verification.subject).toBe(`Confirm your privacy request ${event.payload.reference}`);
    expect(verificationFailures.has(email)).toBe(false);
    expect((await mailsTo(email)).map((mail) => mail.subject).sort()).toEqual([
      `Confirm your privacy request ${event.payload.reference}`,
      `We received your privacy request ${event.payload.reference}`,
    ]);
  });
});
