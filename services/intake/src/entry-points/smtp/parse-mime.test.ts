import fc from 'fast-check';
import { intakeRequestSchema } from '../../domain/intake-request';
import { extractEmailRequest } from '../../domain/email-extraction';
import { parseMime } from './parse-mime';

const context = { ownAddresses: ['privacy@relay.example'] };

describe('parseMime', () => {
  it('When a mail is HTML only, then its text is the HTML converted to text', async () => {
    const parsed = await parseMime(
      Buffer.from(
        'From: Ada <ada@signer.example>\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please <b>delete</b> my data</p><script>x()</script>\r\n',
      ),
    );
    expect(parsed.ok && parsed.email.text).toMatch(/Please delete my data/);
  });

  it('When a mail has Authentication-Results fields, then their raw values are kept topmost first, folding and all', async () => {
    const parsed = await parseMime(
      Buffer.from(
        'Received: from mx.relay.example\r\n' +
          'Authentication-Results: mx.relay.example;\r\n\tdmarc=fail header.from=bank.example\r\n' +
          'From: victim@bank.example\r\n' +
          'Authentication-Results: mx.relay.example; dmarc=pass header.from=bank.example\r\n' +
          'Subject: erase\r\n\r\nerase\r\n',
      ),
    );
    expect(parsed.ok && parsed.email.authenticationResults?.map((value) => value.replace(/\s+/g, ' ').trim())).toEqual([
      'mx.relay.example; dmarc=fail header.from=bank.example',
      'mx.relay.example; dmarc=pass header.from=bank.example',
    ]);
  });

  it('When a mail has two From headers, then both are counted (the parser keeps only the first one)', async () => {
    const parsed = await parseMime(
      Buffer.from('From: victim@bank.example\r\nFrom: mallory@evil.example\r\nSubject: erase\r\n\r\nerase\r\n'),
    );
    expect(parsed.ok && parsed.email.fromHeaderCount).toBe(2);
    expect(parsed.ok && extractEmailRequest(parsed.email, context)).toMatchObject({ requesterIsSender: false });
  });

  it('When the From header holds more than one address-like text (a display name, a trailing or folded address), then nobody counts as its proven sender', async () => {
    // The parser takes the bracketed or first address; a DMARC checker may judge another one in
    // the same header (the attacker's own, aligned domain). Which one passed is not ours to guess.
    for (const from of [
      '<victim@bank.example>mallory@evil.example',
      'victim@bank.example\r\n mallory@evil.example',
      'mallory@evil.example <victim@bank.example>',
      '"mallory@evil.example" <victim@bank.example>',
    ]) {
      const parsed = await parseMime(Buffer.from(`From: ${from}\r\nSubject: erase\r\n\r\nerase my data\r\n`));
      const extraction = parsed.ok ? extractEmailRequest(parsed.email, context) : undefined;
      expect(extraction).toMatchObject({ usable: true, requesterIsSender: false });
    }
    for (const from of ['Victim <victim@bank.example>', '"victim@bank.example" <Victim@Bank.example>']) {
      const plain = await parseMime(Buffer.from(`From: ${from}\r\nSubject: erase\r\n\r\nerase\r\n`));
      expect(plain.ok && extractEmailRequest(plain.email, context)).toMatchObject({ requesterIsSender: true });
    }
  });

  it('When a mail is in Latin-1 with encoded words, then subject and text are decoded', async () => {
    const parsed = await parseMime(
      Buffer.concat([
        Buffer.from(
          'From: =?iso-8859-1?Q?Ren=E9e?= <renee@signer.example>\r\nSubject: =?iso-8859-1?Q?donn=E9es?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n',
        ),
        Buffer.from([0x65, 0x66, 0x66, 0x61, 0x63, 0x65, 0x6d, 0x65, 0x6e, 0x74, 0x20, 0xe9]),
      ]),
    );
    expect(parsed).toMatchObject({
      ok: true,
      email: { from: [{ name: 'Renée', address: 'renee@signer.example' }], subject: 'données' },
    });
    expect(parsed.ok && parsed.email.text).toContain('effacement é');
  });

  it('When a mail has attachments, then only their name, type and size are kept', async () => {
    const parsed = await parseMime(
      Buffer.from(
        [
          'From: ada@signer.example',
          'Subject: access',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          'See attached.',
          '--b',
          'Content-Type: application/pdf; name="id.pdf"',
          'Content-Disposition: attachment; filename="id.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('%PDF-1.4').toString('base64'),
          '--b--',
          '',
        ].join('\r\n'),
      ),
    );
    expect(parsed.ok && parsed.email.attachments).toEqual([
      { filename: 'id.pdf', contentType: 'application/pdf', size: 8 },
    ]);
  });
});

describe('parseMime: automatic mail', () => {
  it.each([
    ['Auto-Submitted: auto-replied', true],
    ['Auto-Submitted: auto-generated', true],
    ['Auto-Submitted: no', false],
    ['Precedence: bulk', true],
    ['Precedence: auto_reply', true],
    ['X-Autoreply: yes', true],
    ['Content-Type: multipart/report; report-type=delivery-status; boundary="b"', true],
    ['X-Mailer: Thunderbird', false],
  ])('When a mail has "%s", then it is automatic: %s', async (header, automatic) => {
    const parsed = await parseMime(
      Buffer.from(`From: ada@signer.example\r\nSubject: erase\r\n${header}\r\n\r\nbody\r\n`),
    );
    expect(parsed.ok && parsed.email.automatic).toBe(automatic);
  });
});

describe('parseMime and extraction, property-based', () => {
  const headerName = fc.constantFrom('From', 'Reply-To', 'Subject', 'Message-ID', 'Content-Type', 'To', 'X-Junk');
  const headerValue = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.emailAddress(),
    fc.constantFrom(
      'multipart/mixed; boundary="b"',
      'text/html; charset=x-unknown',
      '=?utf-8?B?/w==?=',
      '=?utf-8?Q?a=0D=0Ab?= <x@y.z>',
      'undisclosed:;',
    ),
  );
  const rawMail = fc
    .tuple(
      fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }),
      fc.oneof(
        fc.string({ maxLength: 2000 }),
        fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      ),
    )
    .map(([headers, body]) =>
      Buffer.from(`${headers.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`, 'latin1'),
    );

  it('When arbitrary headers and bytes are parsed and extracted, then nothing throws and a usable result always passes the schema', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          rawMail,
          fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
        ),
        async (raw) => {
          const parsed = await parseMime(raw);
          if (!parsed.ok) {
            expect(parsed.message.length).toBeGreaterThan(0);
            return;
          }
          const result = extractEmailRequest(parsed.email, context);
          if (result.usable) expect(intakeRequestSchema.safeParse(result.request).success).toBe(true);
          else expect(result.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
