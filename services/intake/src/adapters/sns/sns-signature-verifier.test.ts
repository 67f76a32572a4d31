import { randomUUID, sign } from 'node:crypto';
import { generate } from 'selfsigned';
import { snsHostUrl, snsMessageSchema } from './sns-message';
import { SnsSignatureVerifier, type SnsSignatureFailure } from './sns-signature-verifier';

// A test CA and a signing certificate issued by it to sns.amazonaws.com, made at test time.
// (The integration tests have a fuller helper in services/intake/test; src cannot import from there.)
const TEST_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem';
interface TestSnsPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}
async function createTestSnsPki(): Promise<TestSnsPki> {
  const ca = await generate([{ name: 'commonName', value: 'unit test CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'sns.amazonaws.com' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'sns.amazonaws.com' }] }],
  });
  return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}
function signedSnsMessage(
  keyPem: string,
  input: {
    type?: 'Notification' | 'SubscriptionConfirmation';
    message: string;
    subject?: string;
    signatureVersion?: '1' | '2';
  },
): Record<string, string> {
  const type = input.type ?? 'Notification';
  const message: Record<string, string> = {
    Type: type,
    MessageId: randomUUID(),
    TopicArn: 'arn:aws:sns:eu-west-2:123456789012:t',
    Message: input.message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: input.signatureVersion ?? '2',
    SigningCertURL: TEST_CERT_URL,
    ...(input.subject !== undefined ? { Subject: input.subject } : {}),
    ...(type === 'Notification' ? {} : { Token: 'tok', SubscribeURL: 'https://sns.eu-west-2.amazonaws.com/?x=1' }),
  };
  const names =
    type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = names
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
  message.Signature = sign(message.SignatureVersion === '1' ? 'sha1' : 'sha256', Buffer.from(text), keyPem).toString(
    'base64',
  );
  return message;
}

describe('snsHostUrl', () => {
  it.each([
    ['https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem', true],
    ['https://sns.us-gov-west-1.amazonaws.com/x.pem', true],
    ['https://sns.cn-north-1.amazonaws.com.cn/x.pem', true],
    ['http://sns.eu-west-2.amazonaws.com/x.pem', false],
    ['https://sns.eu-west-2.amazonaws.com.evil.example/x.pem', false],
    ['https://evil.example/sns.eu-west-2.amazonaws.com/x.pem', false],
    ['https://user:pw@sns.eu-west-2.amazonaws.com/x.pem', false],
    ['https://sns.eu-west-2.amazonaws.com:8443/x.pem', false],
    ['https://s3.eu-west-2.amazonaws.com/x.pem', false],
    ['not a url', false],
  ])('When the URL is %s, then it is an SNS host URL: %s', (url, expected) => {
    expect(snsHostUrl(url) !== undefined).toBe(expected);
  });
});

describe('SnsSignatureVerifier', () => {
  let pki: TestSnsPki;
  beforeAll(async () => {
    pki = await createTestSnsPki();
  }, 60_000);

  const verifierWith = (options: { now?: () => Date; fail?: boolean; signatureVersions?: Array<'1' | '2'> } = {}) => {
    const fetches: string[] = [];
    const verifier = new SnsSignatureVerifier({
      trustedCaPem: pki.caPem,
      ...(options.now ? { now: options.now } : {}),
      ...(options.signatureVersions ? { signatureVersions: options.signatureVersions } : {}),
      fetchText: async (url) => {
        fetches.push(url.href);
        if (options.fail) throw new Error('down');
        return pki.certPem;
      },
    });
    return { verifier, fetches };
  };
  const failureOf = async (verifier: SnsSignatureVerifier, message: unknown): Promise<SnsSignatureFailure | 'ok'> =>
    verifier.verify(snsMessageSchema.parse(message)).then(
      () => 'ok' as const,
      (error: { failure: SnsSignatureFailure }) => error.failure,
    );

  it('When messages are signed with SignatureVersion 1 and 2, with and without Subject, then all verify and the certificate is fetched once', async () => {
    const { verifier, fetches } = verifierWith();
    for (const signatureVersion of ['1', '2'] as const) {
      expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm', signatureVersion }))).toBe('ok');
      expect(
        await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm', signatureVersion, subject: 'Hi' })),
      ).toBe('ok');
    }
    expect(
      await failureOf(verifier, signedSnsMessage(pki.keyPem, { type: 'SubscriptionConfirmation', message: 'c' })),
    ).toBe('ok');
    expect(fetches).toEqual([TEST_CERT_URL]);
  });

  it('When only SignatureVersion 2 is accepted, then a validly signed SHA-1 (version 1) message is refused before its certificate is fetched, and version 2 verifies', async () => {
    const { verifier, fetches } = verifierWith({ signatureVersions: ['2'] });
    expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm', signatureVersion: '1' }))).toBe(
      'signature-version',
    );
    expect(fetches).toEqual([]);
    expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm', signatureVersion: '2' }))).toBe('ok');
  });

  it('When a signed field is changed, then the signature fails', async () => {
    const { verifier } = verifierWith();
    const genuine = signedSnsMessage(pki.keyPem, { message: 'm', subject: 'Hi' });
    for (const field of ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn']) {
      expect(await failureOf(verifier, { ...genuine, [field]: `${genuine[field]}x` })).toBe('signature');
    }
    expect(await failureOf(verifier, { ...genuine, SignatureVersion: '1' })).toBe('signature');
  });

  it('When the certificate has expired by the clock, then it is untrusted', async () => {
    const { verifier } = verifierWith({ now: () => new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000) });
    expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm' }))).toBe('cert-untrusted');
  });

  it('When the certificate cannot be fetched, then the failure is "unavailable" and the next message tries again', async () => {
    const { verifier, fetches } = verifierWith({ fail: true });
    expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm' }))).toBe('cert-unavailable');
    expect(await failureOf(verifier, signedSnsMessage(pki.keyPem, { message: 'm' }))).toBe('cert-unavailable');
    expect(fetches).toHaveLength(2);
  });
});
