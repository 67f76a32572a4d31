import { randomUUID, sign } from 'node:crypto';
import { generate } from 'selfsigned';

export const TEST_TOPIC_ARN = 'arn:aws:sns:eu-west-2:123456789012:privacy-inbound';
export const TEST_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem';

export interface TestSnsPki {
  caPem: string;
  /** Issued by the test CA to sns.amazonaws.com: what the injected fetcher serves at TEST_CERT_URL. */
  certPem: string;
  keyPem: string;
  /** A certificate for the same name from another CA, with its key: a forger's. */
  rogueCertPem: string;
  rogueKeyPem: string;
}

/** A test CA and SNS signing certificates, made at test time (nothing secret is checked in). */
export async function createTestSnsPki(): Promise<TestSnsPki> {
  const caOptions = {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints' as const, cA: true, critical: true },
      { name: 'keyUsage' as const, keyCertSign: true, cRLSign: true, critical: true },
    ],
  };
  const leafOptions = (ca: { private: string; cert: string }) => ({
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints' as const, cA: false },
      { name: 'keyUsage' as const, digitalSignature: true },
      { name: 'subjectAltName' as const, altNames: [{ type: 2 as const, value: 'sns.amazonaws.com' }] },
    ],
  });
  const ca = await generate([{ name: 'commonName', value: 'Privacy Relay test SNS CA' }], caOptions);
  const rogueCa = await generate([{ name: 'commonName', value: 'Someone else CA' }], caOptions);
  const leaf = await generate([{ name: 'commonName', value: 'sns.amazonaws.com' }], leafOptions(ca));
  const rogue = await generate([{ name: 'commonName', value: 'sns.amazonaws.com' }], leafOptions(rogueCa));
  return {
    caPem: ca.cert,
    certPem: leaf.cert,
    keyPem: leaf.private,
    rogueCertPem: rogue.cert,
    rogueKeyPem: rogue.private,
  };
}

export interface SnsEnvelopeInput {
  type?: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  message: string;
  topicArn?: string;
  subject?: string;
  subscribeUrl?: string;
  signatureVersion?: '1' | '2';
  certUrl?: string;
}

/**
 * An SNS HTTP message signed the way SNS signs (written out here independently of the code under
 * test): `Name\nvalue\n` for the signed fields in order, RSA-SHA1 (v1) or RSA-SHA256 (v2).
 */
export function signedSnsMessage(keyPem: string, input: SnsEnvelopeInput): Record<string, string> {
  const type = input.type ?? 'Notification';
  const base: Record<string, string> = {
    Type: type,
    MessageId: randomUUID(),
    TopicArn: input.topicArn ?? TEST_TOPIC_ARN,
    Message: input.message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: input.signatureVersion ?? '2',
    SigningCertURL: input.certUrl ?? TEST_CERT_URL,
  };
  if (input.subject !== undefined) base.Subject = input.subject;
  if (type !== 'Notification') {
    base.Token = randomUUID().replace(/-/g, '');
    base.SubscribeURL =
      input.subscribeUrl ??
      `https://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${base.TopicArn}&Token=${base.Token}`;
  }
  const signed =
    type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const stringToSign = signed
    .filter((name) => base[name] !== undefined)
    .map((name) => `${name}\n${base[name]}\n`)
    .join('');
  const algorithm = base.SignatureVersion === '1' ? 'sha1' : 'sha256';
  base.Signature = sign(algorithm, Buffer.from(stringToSign, 'utf8'), keyPem).toString('base64');
  return base;
}

/** An SES `Received` notification as a receipt rule's SNS action sends it. */
export function sesReceivedMessage(
  rawMime: string,
  verdicts: { spf?: string; dkim?: string; dmarc?: string; spam?: string; virus?: string } = {},
  encoding: 'UTF8' | 'BASE64' = 'UTF8',
): string {
  const verdict = (status = 'PASS') => ({ status });
  return JSON.stringify({
    notificationType: 'Received',
    mail: { timestamp: new Date().toISOString(), source: 'bounce@sender.example', messageId: randomUUID() },
    receipt: {
      timestamp: new Date().toISOString(),
      recipients: ['privacy@relay.example'],
      spfVerdict: verdict(verdicts.spf),
      dkimVerdict: verdict(verdicts.dkim),
      dmarcVerdict: verdict(verdicts.dmarc ?? 'GRAY'),
      spamVerdict: verdict(verdicts.spam),
      virusVerdict: verdict(verdicts.virus),
      action: { type: 'SNS', topicArn: TEST_TOPIC_ARN, encoding },
    },
    content: encoding === 'BASE64' ? Buffer.from(rawMime, 'utf8').toString('base64') : rawMime,
  });
}
