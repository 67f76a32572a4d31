import { verificationFromSesVerdicts, verificationFromSmtpPolicy } from './email-verification';

const verified = { status: 'verified', method: 'ses-verdicts' };
const pending = { status: 'pending' };

describe('verificationFromSesVerdicts', () => {
  it.each([
    // SPF and DKIM can pass for the sender's own domain while From names anyone: only DMARC
    // (alignment with the From domain) speaks for the From address.
    ['SPF and DKIM pass but DMARC fails', { spf: 'PASS', dkim: 'PASS', dmarc: 'FAIL' }, true, pending],
    ['SPF and DKIM pass but DMARC is GRAY', { spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY' }, true, pending],
    [
      'SPF and DKIM pass but DMARC failed to process',
      { spf: 'PASS', dkim: 'PASS', dmarc: 'PROCESSING_FAILED' },
      true,
      pending,
    ],
    ['SPF and DKIM pass and DMARC is missing', { spf: 'PASS', dkim: 'PASS' }, true, pending],
    ['DMARC passes alone', { spf: 'FAIL', dkim: 'FAIL', dmarc: 'PASS' }, true, verified],
    ['only SPF passes', { spf: 'PASS', dkim: 'FAIL', dmarc: 'GRAY' }, true, pending],
    ['only DKIM passes', { spf: 'GRAY', dkim: 'PASS' }, true, pending],
    ['verdicts are missing', {}, true, pending],
    ['verdicts failed to process', { spf: 'PROCESSING_FAILED', dkim: 'PROCESSING_FAILED' }, true, pending],
    ['all pass but SES says spam', { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'FAIL' }, true, pending],
    ['all pass but SES says virus', { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', virus: 'FAIL' }, true, pending],
    [
      'all pass but the requester is a different Reply-To',
      { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      false,
      pending,
    ],
    ['verdicts are in lower case', { dmarc: 'pass' }, true, verified],
  ])('When %s, then the verification is as expected', (_what, verdicts, requesterIsSender, expected) => {
    expect(verificationFromSesVerdicts(verdicts, requesterIsSender)).toEqual(expected);
  });
});

describe('verificationFromSmtpPolicy', () => {
  it('When the listener trusts senders and the requester is the sender, then it is verified by smtp-policy', () => {
    expect(verificationFromSmtpPolicy(true, true)).toEqual({ status: 'verified', method: 'smtp-policy' });
  });

  it('When the listener does not trust senders, or the requester is a Reply-To, then it is pending', () => {
    expect(verificationFromSmtpPolicy(false, true)).toEqual(pending);
    expect(verificationFromSmtpPolicy(true, false)).toEqual(pending);
  });
});
