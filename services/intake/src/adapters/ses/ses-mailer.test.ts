import { isPermanentRefusal } from './ses-mailer';

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
