import { isPermanentRefusal, unverifiedIdentity } from './ses-mailer';

const sesError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('which SES errors dead-letter a mail', () => {
  it.each([
    [sesError('MessageRejected', 'Email address is blacklisted.'), true],
    [sesError('InvalidParameterValue', 'Missing final @domain'), true],
    [sesError('MessageRejected', 'Email address is not verified. The following identities failed the check'), false],
    [sesError('Throttling', 'Maximum sending rate exceeded.'), false],
    [sesError('ServiceUnavailable', ''), false],
  ])('%s → permanent: %s', (error, permanent) => {
    expect(isPermanentRefusal(error)).toBe(permanent);
  });
});

describe('which identity SES refused as not verified', () => {
  const from = 'privacy@relay.example';
  it.each([
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: ada@example.org',
      'recipient',
    ],
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: Privacy@Relay.example',
      'sender',
    ],
    [
      'Email address is not verified. The following identities failed the check in region EU-WEST-2: privacy@relay.example, ada@example.org',
      'sender',
    ],
    ['Email address is not verified.', 'sender'],
    ['Email address is blacklisted.', undefined],
  ])('%s → %s', (message, identity) => {
    expect(unverifiedIdentity(sesError('MessageRejected', message), from)).toBe(identity);
  });
});
