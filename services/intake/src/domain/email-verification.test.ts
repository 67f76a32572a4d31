import { verificationFromSesVerdicts, verificationFromSmtpAuthenticationResults } from './email-verification';

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

describe('verificationFromSmtpAuthenticationResults', () => {
  const policy = { trustSender: true, authservId: 'mx.relay.example' };
  const from = (authenticationResults: string[], senderAddress = 'ada@signer.example') => ({
    senderAddress,
    authenticationResults,
  });
  const smtpVerified = { status: 'verified', method: 'smtp-policy' };

  it.each<[string, typeof policy, ReturnType<typeof from>, boolean, object]>([
    [
      'our MTA says dmarc=pass for the From domain',
      policy,
      from(['mx.relay.example; spf=pass smtp.mailfrom=signer.example; dmarc=pass (p=none) header.from=signer.example']),
      true,
      smtpVerified,
    ],
    [
      'our authserv-id and the From domain differ only in case, and the domain is written with a final dot',
      policy,
      from(['MX.Relay.Example; dmarc=PASS header.from=Signer.Example.']),
      true,
      smtpVerified,
    ],
    ['our dmarc=pass names no header.from', policy, from(['mx.relay.example; dmarc=pass']), true, smtpVerified],
    [
      'an internationalised From domain and its A-label in header.from',
      policy,
      from(['mx.relay.example; dmarc=pass header.from=xn--bcher-kva.example'], 'ada@bücher.example'),
      true,
      smtpVerified,
    ],
    ['the mail carries no Authentication-Results', policy, from([]), true, pending],
    [
      'only another authserv-id says dmarc=pass',
      policy,
      from(['mx.attacker.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'an authserv-id that merely contains ours says dmarc=pass',
      policy,
      from(['mx.relay.example.attacker.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'our MTA says dmarc=fail',
      policy,
      from(['mx.relay.example; dmarc=fail (p=none) header.from=signer.example']),
      true,
      pending,
    ],
    [
      'our MTA says dmarc=none',
      policy,
      from(['mx.relay.example; dmarc=none header.from=signer.example']),
      true,
      pending,
    ],
    ['our MTA says dmarc=temperror', policy, from(['mx.relay.example; dmarc=temperror']), true, pending],
    [
      'our dmarc=pass is for another domain than the From',
      policy,
      from(['mx.relay.example; dmarc=pass header.from=attacker.example']),
      true,
      pending,
    ],
    [
      'our field holds a dmarc=pass and a dmarc=fail',
      policy,
      from(['mx.relay.example; dmarc=fail header.from=signer.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'our topmost field has no dmarc result and a lower one with our id says pass',
      policy,
      from(['mx.relay.example; spf=pass smtp.mailfrom=signer.example', 'mx.relay.example; dmarc=pass']),
      true,
      pending,
    ],
    [
      'our topmost field says fail and a lower one with our id says pass',
      policy,
      from(['mx.relay.example; dmarc=fail', 'mx.relay.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'our topmost field cannot be read and a lower one with our id says pass',
      policy,
      from(['mx.relay.example; dmarc=pass header.from', 'mx.relay.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      "another authserv-id's field stands above ours, which says pass",
      policy,
      from(['mx.other.example; dmarc=fail', 'mx.relay.example; dmarc=pass header.from=signer.example']),
      true,
      smtpVerified,
    ],
    [
      'the listener does not trust senders',
      { ...policy, trustSender: false },
      from(['mx.relay.example; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'no authserv-id is configured',
      { trustSender: true, authservId: '' },
      from(['; dmarc=pass header.from=signer.example']),
      true,
      pending,
    ],
    [
      'the requester is a Reply-To (or the From holds several addresses)',
      policy,
      from(['mx.relay.example; dmarc=pass header.from=signer.example']),
      false,
      pending,
    ],
  ])('When %s, then the verification is as expected', (_what, smtpPolicy, evidence, requesterIsSender, expected) => {
    expect(verificationFromSmtpAuthenticationResults(smtpPolicy, evidence, requesterIsSender)).toEqual(expected);
  });
});
