import fc from 'fast-check';
import { RIGHTS } from '@privacy-relay/shared/events';
import {
  RIGHT_KEYWORD_EXAMPLES,
  detectRights,
  emailIdempotencyKey,
  extractEmailRequest,
  type InboundEmail,
} from './email-extraction';
import { intakeRequestSchema } from './intake-request';

const email = (overrides: Partial<InboundEmail> = {}): InboundEmail => ({
  from: [{ name: 'Ada Lovelace', address: 'ada@signer.example' }],
  replyTo: [],
  subject: 'Hello',
  text: 'Please help.',
  messageId: '<abc@signer.example>',
  attachments: [],
  ...overrides,
});
const context = { ownAddresses: ['privacy@relay.example'] };

describe('detectRights', () => {
  it.each([
    ['I am making a subject access request', ['access']],
    ['Please send me a copy of my data', ['access']],
    ['SAR', ['access']],
    ['Please correct my address', ['rectification']],
    ['I want you to erase all of it, right to be forgotten', ['erasure']],
    ['Please restrict processing', ['restriction']],
    ['Export my data to another provider', ['portability']],
    ['I object to direct marketing; opt me out', ['objection']],
    ['I withdraw my consent', ['withdraw-consent']],
    ['unsubscribe', ['withdraw-consent']],
    ['Bitte Löschung meiner Daten', ['erasure']],
    ['Nothing relevant here', []],
  ])('When the text is "%s", then the rights are %j', (text, rights) => {
    expect(detectRights(text)).toEqual(rights);
  });

  it('When "sar" is written in lower case inside a word or alone, then it is not taken for a subject access request', () => {
    expect(detectRights('the sarcastic sar')).toEqual([]);
  });
});

describe('emailIdempotencyKey', () => {
  it('When the Message-ID differs only by brackets and spaces, then the key is the same', () => {
    const raw = Buffer.from('x');
    expect(emailIdempotencyKey('<a.b@c>', raw)).toBe('email:a.b@c');
    expect(emailIdempotencyKey(' <a.b@c> ', raw)).toBe('email:a.b@c');
  });

  it('When there is no Message-ID, then the key is a hash of the raw message', () => {
    expect(emailIdempotencyKey(undefined, Buffer.from('one'))).toMatch(/^email:sha256:[0-9a-f]{64}$/);
    expect(emailIdempotencyKey(undefined, Buffer.from('one'))).toBe(emailIdempotencyKey('', Buffer.from('one')));
    expect(emailIdempotencyKey(undefined, Buffer.from('one'))).not.toBe(
      emailIdempotencyKey(undefined, Buffer.from('two')),
    );
  });

  it('When the Message-ID is huge, then the key stays bounded', () => {
    expect(emailIdempotencyKey(`<${'x'.repeat(5000)}@y>`, Buffer.from('')).length).toBeLessThan(100);
  });
});

describe('extractEmailRequest', () => {
  it("When the body holds an address, then it never becomes the company's address", () => {
    const result = extractEmailRequest(
      email({ subject: 'Delete my data', text: 'Please delete my data. You can reach me at jane@bigbank.example.' }),
      context,
    );
    expect(result.usable && result.request.company).toBeUndefined();
  });

  it('When a mail asks for access and erasure and names a company, then the request says so, keeps the company in its text and the requester is the sender', () => {
    const result = extractEmailRequest(
      email({ subject: 'Subject access request', text: 'Also delete it. My contract with Acme Ltd.' }),
      context,
    );
    expect(result).toMatchObject({
      usable: true,
      requesterIsSender: true,
      request: {
        requester: { name: 'Ada Lovelace', email: 'ada@signer.example' },
        rights: ['access', 'erasure'],
        text: 'Also delete it. My contract with Acme Ltd.',
      },
    });
    // The relay finds the company in the text, as for every channel (companyNamedInText).
    expect(result.usable && result.request.company).toBeUndefined();
  });

  // DMARC judges one From domain; with several mailboxes or From headers, which one it judged is
  // not ours to guess, so none of them counts as the proven sender.
  it.each([
    [
      'several From mailboxes',
      {
        from: [
          { name: '', address: 'victim@bank.example' },
          { name: '', address: 'mallory@evil.example' },
        ],
      },
    ],
    ['several From headers', { fromHeaderCount: 2 }],
  ])('When the mail has %s, then the requester is not the proven sender', (_what, overrides) => {
    expect(extractEmailRequest(email({ subject: 'erase', ...overrides }), context)).toMatchObject({
      usable: true,
      requesterIsSender: false,
    });
  });

  it('When there is a Reply-To, then it is the requester and not the sender', () => {
    const result = extractEmailRequest(
      email({ replyTo: [{ name: '', address: 'ada@home.example' }], subject: 'unsubscribe' }),
      context,
    );
    expect(result).toMatchObject({
      usable: true,
      requesterIsSender: false,
      request: { requester: { name: 'ada', email: 'ada@home.example' }, rights: ['withdraw-consent'] },
    });
  });

  it('When no keyword is found, then the right is "other" with the subject as its text', () => {
    const result = extractEmailRequest(email({ subject: 'Question about my file', text: 'What now?' }), context);
    expect(result).toMatchObject({
      usable: true,
      request: { rights: ['other'], otherRightText: 'Question about my file' },
    });
  });

  it('When the subject carries line breaks (header injection), then they become spaces', () => {
    const result = extractEmailRequest(
      email({
        subject: 'Hi\r\nBcc: victim@example.org',
        from: [{ name: 'Ada\r\nBcc: x@y.z', address: 'ada@s.example' }],
      }),
      context,
    );
    expect(result).toMatchObject({
      usable: true,
      request: { requester: { name: 'Ada Bcc: x@y.z' }, otherRightText: 'Hi Bcc: victim@example.org' },
    });
  });

  it.each([
    ['no From at all', { from: [] }, 'no-sender'],
    ['a From without an address', { from: [{ name: 'Ada', address: '' }] }, 'no-sender'],
    ['a From that is not an address', { from: [{ name: '', address: 'not an address' }] }, 'invalid-sender'],
    ['neither subject nor text', { subject: ' ', text: '\n' }, 'nothing-asked'],
  ])('When the mail has %s, then it is unusable (%s)', (_what, overrides, reason) => {
    expect(extractEmailRequest(email(overrides as Partial<InboundEmail>), context)).toMatchObject({
      usable: false,
      reason,
    });
  });

  it('When the body is longer than the limit and there are many attachments, then both are bounded', () => {
    const result = extractEmailRequest(
      email({
        text: 'a'.repeat(50_000),
        attachments: Array.from({ length: 80 }, (_, i) => ({ filename: `f${i}`, contentType: 'text/plain', size: i })),
      }),
      context,
    );
    expect(result.usable && result.request.text.length).toBe(20_000);
    expect(result.usable && result.attachments.length).toBe(50);
  });
});

describe('extractEmailRequest, property-based', () => {
  const mailbox = fc.record({ name: fc.string({ maxLength: 300 }), address: fc.oneof(fc.emailAddress(), fc.string()) });
  const anyEmail = fc.record({
    from: fc.array(mailbox, { maxLength: 3 }),
    replyTo: fc.array(mailbox, { maxLength: 2 }),
    subject: fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 500 })),
    text: fc.oneof(fc.string({ maxLength: 5000 }), fc.string({ unit: 'binary', maxLength: 3000 })),
    messageId: fc.option(fc.string({ maxLength: 2000 }), { nil: undefined }),
    attachments: fc.array(
      fc.record({
        filename: fc.option(fc.string({ maxLength: 400 }), { nil: undefined }),
        contentType: fc.option(fc.string({ maxLength: 400 }), { nil: undefined }),
        size: fc.oneof(fc.nat(), fc.integer(), fc.double()),
      }),
      { maxLength: 60 },
    ),
  });

  it('When any headers and text arrive, then extraction never throws and yields a schema-valid request or a reason', () => {
    fc.assert(
      fc.property(anyEmail, (input) => {
        const result = extractEmailRequest(input, context);
        if (result.usable) {
          expect(intakeRequestSchema.safeParse(result.request).success).toBe(true);
          expect(result.attachments.length).toBeLessThanOrEqual(50);
        } else {
          expect(['no-sender', 'invalid-sender', 'nothing-asked', 'invalid-request']).toContain(result.reason);
          expect(result.message).not.toMatch(/@/);
        }
      }),
      { numRuns: 500 },
    );
  });

  const keywordCase = fc.constantFrom(
    ...Object.entries(RIGHT_KEYWORD_EXAMPLES).flatMap(([right, keywords]) =>
      keywords.map((keyword) => ({ right, keyword })),
    ),
  );

  it('When a right keyword stands between words anywhere in the subject or text, then that right is among the rights', () => {
    fc.assert(
      fc.property(
        keywordCase,
        fc.string({ maxLength: 500 }),
        fc.string({ maxLength: 500 }),
        fc.boolean(),
        ({ right, keyword }, before, after, inSubject) => {
          const sentence = `${before} ${keyword} ${after}`;
          const result = extractEmailRequest(
            email(inSubject ? { subject: sentence, text: after } : { subject: before, text: sentence }),
            context,
          );
          expect(result.usable).toBe(true);
          if (result.usable) expect(result.request.rights).toContain(right);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('When no right keyword is present, then the rights are exactly ["other"]', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9 .,]{1,200}$/), (text) => {
        const result = extractEmailRequest(email({ subject: text, text }), context);
        if (result.usable) expect(result.request.rights).toEqual(['other']);
      }),
    );
  });

  it('When detecting rights in any text, then the result holds only vocabulary rights without duplicates', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (text) => {
        const rights = detectRights(text);
        expect(new Set(rights).size).toBe(rights.length);
        for (const right of rights) expect(RIGHTS).toContain(right);
      }),
    );
  });
});
