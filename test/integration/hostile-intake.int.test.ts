import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS } from '@privacy-relay/shared/events';
import { RawSmtpClient } from '../../services/intake/test/email-raw-smtp';
import {
  TEST_CERT_URL,
  TEST_TOPIC_ARN,
  sesReceivedMessage,
  signedSnsMessage,
  type SnsEnvelopeInput,
} from '../../services/intake/test/email-sns-signer';
import { openForm, validBody } from '../../services/intake/test/support/intake-harness';
import {
  HOSTILE_EVENTS_TOPIC_ARN,
  HOSTILE_MAX_MAIL_BYTES,
  HOSTILE_PRIVACY_ADDRESS,
  JUNK_CERT_URL,
  ROGUE_CERT_URL,
  answerOf,
  hostileStack,
  hostileTable,
  rawRequest,
  type Answer,
  type ForwardedCase,
  type Row,
} from '../support/hostile-stack';

/**
 * The hostile-input campaign over intake's edges (docs/hostile-input.md): the JSON API, the form,
 * the requester's links, SMTP and both SNS endpoints, with the relay running behind them. Each
 * table row is one input and the exact answer it must get (status and error code, or SMTP reply
 * code and enhanced status); after each table both services still answer /healthz; at the end,
 * Kafka holds only the events of the few legitimate controls and the relay's case is untouched.
 */

const stack = hostileStack('hostileintake');
const unique = stack.unique;
const email = (label: string) => `${label}-${unique}@requester.example`;
const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../services/intake/test/fixtures/mime/broken', name));

function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return fetch(`${stack.intakeUrl}${path}`, { method: 'POST', headers, body }).then(answerOf);
}

const raw = (method: string, path: string) => rawRequest(stack.intakeUrl, method, path);
const runTable = (edge: string, rows: Row[]) => hostileTable(stack, edge, rows);

// --- JSON API: POST /v1/requests ---------------------------------------------------------------

const api = (body: unknown, headers: Record<string, string> = {}) =>
  post('/v1/requests', typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    ...headers,
  });
const apiBody = (overrides: Record<string, unknown> = {}) => validBody(email('api'), overrides);
const apiKey = `hostile-${unique}`;
const exportAsk = (body: unknown) =>
  post('/v1/exports', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

const jsonApiRows: Row[] = [
  // The control: accepted once; its key is what the replays below reuse.
  [
    'a valid request with an Idempotency-Key (the control)',
    202,
    'ACCEPTED',
    () => api(apiBody(), { 'idempotency-key': apiKey }),
  ],
  ['the same request and key again (a replay)', 202, 'ACCEPTED', () => api(apiBody(), { 'idempotency-key': apiKey })],
  [
    'the same key with another body',
    422,
    'IDEMPOTENCY_KEY_REUSED',
    () => api(apiBody({ text: 'Something else entirely' }), { 'idempotency-key': apiKey }),
  ],
  ['a body that is not JSON', 400, 'MALFORMED_JSON', () => api('{"requester": ')],
  ['an empty JSON body', 400, 'MALFORMED_JSON', () => api('')],
  ['JSON with a trailing comma', 400, 'MALFORMED_JSON', () => api('{"rights": ["access"],}')],
  [
    'JSON as text/plain',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => post('/v1/requests', JSON.stringify(apiBody()), { 'content-type': 'text/plain' }),
  ],
  [
    'JSON without a content type',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => post('/v1/requests', Buffer.from(JSON.stringify(apiBody()))),
  ],
  [
    'JSON declared as latin1',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => api(apiBody(), { 'content-type': 'application/json; charset=latin1' }),
  ],
  [
    'a urlencoded body',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => post('/v1/requests', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }),
  ],
  [
    'a multipart body',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => post('/v1/requests', '--b\r\n\r\nx\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' }),
  ],
  ['bytes that are not UTF-8', 400, 'INVALID_ENCODING', () => api(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))],
  [
    'a __proto__ key (prototype poisoning)',
    400,
    'MALFORMED_JSON',
    () => api(`{"__proto__": {"admin": true}, ${JSON.stringify(apiBody()).slice(1)}`),
  ],
  [
    'a constructor.prototype key',
    400,
    'MALFORMED_JSON',
    () => api(`{"constructor": {"prototype": {"admin": true}}, ${JSON.stringify(apiBody()).slice(1)}`),
  ],
  ['a JSON array', 400, 'VALIDATION_FAILED', () => api([apiBody()])],
  ['a JSON string', 400, 'VALIDATION_FAILED', () => api('"access"')],
  ['JSON null', 400, 'VALIDATION_FAILED', () => api('null')],
  ['a JSON number', 400, 'VALIDATION_FAILED', () => api('42')],
  ['arrays nested 5,000 deep', 400, 'VALIDATION_FAILED', () => api(nested(5_000))],
  ['an unknown top-level field', 400, 'UNKNOWN_FIELD', () => api(apiBody({ status: 'verified' }))],
  [
    'an unknown field in requester',
    400,
    'UNKNOWN_FIELD',
    () => api(apiBody({ requester: { name: 'Ada', email: email('x'), verified: true } })),
  ],
  [
    'an unknown field in company',
    400,
    'UNKNOWN_FIELD',
    () => api(apiBody({ company: { name: 'Acme', tenantId: 'acme' } })),
  ],
  [
    'a verification field (claiming to be verified)',
    400,
    'UNKNOWN_FIELD',
    () => api(apiBody({ verification: { status: 'verified' } })),
  ],
  [
    '{"$gt": ""} as the requester email',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada', email: { $gt: '' } } })),
  ],
  ['{"$ne": null} as the requester', 400, 'UNKNOWN_FIELD', () => api(apiBody({ requester: { $ne: null } }))],
  [
    '{"$regex": ".*"} as the company email',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ company: { email: { $regex: '.*' } } })),
  ],
  ['{"$in": [...]} as a right', 400, 'VALIDATION_FAILED', () => api(apiBody({ rights: [{ $in: ['access'] }] }))],
  [
    '{"$where": "sleep(1000)"} as the text',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ text: { $where: 'sleep(1000)' } })),
  ],
  ['rights as a string', 400, 'VALIDATION_FAILED', () => api(apiBody({ rights: 'access' }))],
  ['no rights', 400, 'VALIDATION_FAILED', () => api(apiBody({ rights: [] }))],
  ['an unknown right', 400, 'VALIDATION_FAILED', () => api(apiBody({ rights: ['delete-everyone'] }))],
  [
    '10,000 rights',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ rights: Array.from({ length: 10_000 }, () => 'access') })),
  ],
  ['"other" with nothing said about it', 400, 'VALIDATION_FAILED', () => api(apiBody({ rights: ['other'], text: '' }))],
  ['an unknown regime hint', 400, 'VALIDATION_FAILED', () => api(apiBody({ regimeHint: 'mars-gdpr' }))],
  [
    'a CR LF and a Bcc line in the requester email (header injection)',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada', email: `${email('inj')}\r\nBcc: victim@evil.example` } })),
  ],
  [
    'a CR LF and a Bcc line in the requester name (header injection)',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada\r\nBcc: victim@evil.example', email: email('inj2') } })),
  ],
  [
    'a NUL byte in the name',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada\u0000Admin', email: email('nul') } })),
  ],
  [
    'a U+2028 line separator in the company name',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ company: { name: 'Acme\u2028Bcc: x' } })),
  ],
  [
    'two addresses in the requester email',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada', email: `a@x.example, ${email('two')}` } })),
  ],
  [
    'a display name in the requester email',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada', email: `Ada <${email('disp')}>` } })),
  ],
  [
    'an email of 400 characters',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'Ada', email: `${'a'.repeat(390)}@x.example` } })),
  ],
  [
    'a name of 10,000 characters',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: 'A'.repeat(10_000), email: email('long') } })),
  ],
  [
    'an empty name (spaces only)',
    400,
    'VALIDATION_FAILED',
    () => api(apiBody({ requester: { name: '   ', email: email('blank') } })),
  ],
  ['a company given as a string', 400, 'VALIDATION_FAILED', () => api(apiBody({ company: 'Acme' }))],
  ['a body over the size limit', 413, 'BODY_TOO_LARGE', () => api(apiBody({ text: 'x'.repeat(2 * 1024 * 1024) }))],
  [
    'an Idempotency-Key of 201 characters',
    400,
    'BAD_IDEMPOTENCY_KEY',
    () => api(apiBody(), { 'idempotency-key': 'k'.repeat(201) }),
  ],
  ['an Idempotency-Key with a space', 400, 'BAD_IDEMPOTENCY_KEY', () => api(apiBody(), { 'idempotency-key': 'a b' })],
  [
    'PUT instead of POST',
    404,
    'NOT_FOUND',
    () => fetch(`${stack.intakeUrl}/v1/requests`, { method: 'PUT', body: '{}' }).then(answerOf),
  ],
  ['a path traversal after the route', 404, 'NOT_FOUND', () => raw('POST', '/v1/requests/../../../etc/passwd')],
  // The requester's export asked over the API: the same refusals, and no oracle (a valid address is always 202).
  ['an export asked with {"$gt": ""} as the email', 400, 'VALIDATION_FAILED', () => exportAsk({ email: { $gt: '' } })],
  [
    'an export asked for two addresses',
    400,
    'VALIDATION_FAILED',
    () => exportAsk({ email: [email('x1'), email('x2')] }),
  ],
  [
    'an export asked with an unknown field',
    400,
    'UNKNOWN_FIELD',
    () => exportAsk({ email: email('exp'), format: 'csv' }),
  ],
  ['an export asked as a JSON array', 400, 'VALIDATION_FAILED', () => exportAsk([{ email: email('exp') }])],
  ['an export asked with a body that is not JSON', 400, 'MALFORMED_JSON', () => exportAsk('{"email": ')],
  [
    'an export asked with a CR LF Bcc in the email',
    400,
    'VALIDATION_FAILED',
    () => exportAsk({ email: `${email('exp')}\r\nBcc: victim@evil.example` }),
  ],
];

// --- The web form: POST /request ---------------------------------------------------------------

let form: { cookie: string; formToken: string };
const formFields = (overrides: Array<[string, string]> = [], formToken = form.formToken): Array<[string, string]> => {
  const base: Array<[string, string]> = [
    ['formToken', formToken],
    ['name', 'Ada Form'],
    ['email', email('form')],
    ['rights', 'access'],
    ['text', 'Please send me my data.'],
  ];
  const replaced = new Set(overrides.map(([name]) => name));
  return [...base.filter(([name]) => !replaced.has(name)), ...overrides];
};
const formPost = (
  fields: Array<[string, string]> | string,
  options: { cookie?: string; contentType?: string } = {},
): Promise<Answer> =>
  post('/request', typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(), {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    cookie: options.cookie ?? form.cookie,
  });
const flip = (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
const FORM_PAGE = 'Make a data-protection request';
const RELOAD = 'Please reload the form';

const formRows: Row[] = [
  ['a valid form (the control)', 202, 'Request received', () => formPost(formFields())],
  ['the same form again (a double click)', 202, 'Request received', () => formPost(formFields())],
  [
    'the same form token with other answers',
    422,
    FORM_PAGE,
    () => formPost(formFields([['text', 'Erase it all instead.']])),
  ],
  ['no cookie', 403, RELOAD, () => formPost(formFields(), { cookie: '' })],
  [
    'a cookie of another browser',
    403,
    RELOAD,
    () => formPost(formFields(), { cookie: form.cookie.replace(/=.*/, '=AAAAAAAAAAAAAAAAAAAAAA') }),
  ],
  ['no form token', 403, RELOAD, () => formPost(formFields().filter(([name]) => name !== 'formToken'))],
  ['a tampered form token', 403, RELOAD, () => formPost(formFields([], flip(form.formToken)))],
  ['a form token cut short', 403, RELOAD, () => formPost(formFields([], form.formToken.slice(0, 20)))],
  ['a form token that is junk', 403, RELOAD, () => formPost(formFields([], '../../etc/passwd'))],
  ['two form tokens', 403, RELOAD, () => formPost([...formFields(), ['formToken', 'x']])],
  [
    'the form as JSON',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => formPost(JSON.stringify(Object.fromEntries(formFields())), { contentType: 'application/json' }),
  ],
  [
    'the form as text/plain',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => formPost(new URLSearchParams(formFields()).toString(), { contentType: 'text/plain' }),
  ],
  [
    'the form as multipart',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => formPost('--b\r\n\r\nx\r\n--b--', { contentType: 'multipart/form-data; boundary=b' }),
  ],
  [
    'the form declared as latin1',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => formPost(formFields(), { contentType: 'application/x-www-form-urlencoded; charset=latin1' }),
  ],
  ['an unknown field (isAdmin=1)', 400, FORM_PAGE, () => formPost(formFields([['isAdmin', '1']]))],
  ['a __proto__ field', 400, FORM_PAGE, () => formPost(formFields([['__proto__[admin]', '1']]))],
  ['a bracketed rights[] field', 400, FORM_PAGE, () => formPost(formFields([['rights[]', 'access']]))],
  ['an unknown right', 400, FORM_PAGE, () => formPost(formFields([['rights', 'delete-everyone']]))],
  ['no right', 400, FORM_PAGE, () => formPost(formFields().filter(([name]) => name !== 'rights'))],
  ['no email', 400, FORM_PAGE, () => formPost(formFields([['email', '']]))],
  [
    'a CR LF and a Bcc line in the email (header injection)',
    400,
    FORM_PAGE,
    () => formPost(formFields([['email', `${email('f')}\r\nBcc: victim@evil.example`]])),
  ],
  [
    'a CR LF and a Bcc line in the name (header injection)',
    400,
    FORM_PAGE,
    () => formPost(formFields([['name', 'Ada\r\nBcc: victim@evil.example']])),
  ],
  ['{"$gt":""} as the email', 400, FORM_PAGE, () => formPost(formFields([['email', '{"$gt":""}']]))],
  ['an unknown regime hint', 400, FORM_PAGE, () => formPost(formFields([['regimeHint', 'mars-gdpr']]))],
  [
    '1,000 repeated rights',
    400,
    FORM_PAGE,
    () => formPost(formFields(Array.from({ length: 1_000 }, () => ['rights', 'access'] as [string, string]))),
  ],
  [
    'a body over the size limit',
    413,
    'BODY_TOO_LARGE',
    () => formPost(formFields([['text', 'x'.repeat(2 * 1024 * 1024)]])),
  ],
];

// --- The requester's links: /verify/:token, /status/:token -------------------------------------

const linkRows: Row[] = [
  ['GET /verify with a junk token', 404, 'Not found', () => raw('GET', '/verify/not-a-token')],
  ['POST /verify with a junk token', 404, 'Not found', () => raw('POST', '/verify/not-a-token')],
  ['POST /verify with a traversal token', 404, 'Not found', () => raw('POST', '/verify/..%2F..%2Fstatus%2Fx')],
  ['POST /verify with a form token', 404, 'Not found', () => raw('POST', `/verify/${form.formToken}`)],
  ['GET /status with a junk token', 404, 'Not found', () => raw('GET', '/status/not-a-token')],
  ['GET /status with a form token', 404, 'Not found', () => raw('GET', `/status/${form.formToken}`)],
  ['POST /status/…/code with a junk token', 404, 'Not found', () => raw('POST', '/status/not-a-token/code')],
  ['GET /status with a 5,000-character token', 414, 'URI_TOO_LONG', () => raw('GET', `/status/${'a'.repeat(5_000)}`)],
  ['GET /status with a broken percent-encoding', 400, 'BAD_URL', () => raw('GET', '/status/%zz')],
  ['POST /verify with an encoded NUL', 404, 'Not found', () => raw('POST', '/verify/abc%00def')],
  ['GET /export/confirm with junk', 404, 'Not found', () => raw('GET', '/export/confirm/not-a-token/not-an-address')],
  [
    'POST /export/confirm with a form token',
    404,
    'Not found',
    () => raw('POST', `/export/confirm/${form.formToken}/x`),
  ],
  ['GET /exports with junk', 404, 'Not found', () => raw('GET', '/exports/not-a-token/not-a-key')],
  ['GET /exports/…/exe (no such format)', 404, 'Not found', () => raw('GET', '/exports/not-a-token/not-a-key/exe')],
  ['GET /exports with a traversal key', 404, 'Not found', () => raw('GET', '/exports/x/..%2F..%2Fetc%2Fpasswd/json')],
];

// --- SMTP ---------------------------------------------------------------------------------------

/** The reply code and enhanced status (or the reply's first word) of the reply that decided. */
const smtpAnswer = (reply: { code: number; text: string }): Answer => ({
  status: reply.code,
  code: /^\d\.\d{1,3}\.\d{1,3}\b/.exec(reply.text)?.[0] ?? reply.text,
});

async function smtpSession(steps: (client: RawSmtpClient) => Promise<{ code: number; text: string }>): Promise<Answer> {
  const { client } = await RawSmtpClient.open(stack.smtpPort);
  try {
    return smtpAnswer(await steps(client));
  } finally {
    await client.close();
  }
}

/** One transaction: EHLO, MAIL FROM, RCPT TO, DATA with exactly these bytes (dot-stuffed). */
const smtpMail = (message: Buffer | string, options: { from?: string; rcpt?: string; mailArgs?: string } = {}) =>
  smtpSession(async (client) => {
    await client.command('EHLO tests.example');
    const mail = await client.command(
      `MAIL FROM:<${options.from ?? 'bounce@signer.example'}>${options.mailArgs ?? ''}`,
    );
    if (mail.code !== 250) return mail;
    const rcpt = await client.command(`RCPT TO:<${options.rcpt ?? HOSTILE_PRIVACY_ADDRESS}>`);
    if (rcpt.code !== 250) return rcpt;
    return client.data(Buffer.isBuffer(message) ? message : Buffer.from(message, 'latin1'));
  });

const mailText = (from: string, messageId: string, body = 'Please erase my data.') =>
  `From: Ada <${from}>\r\nTo: ${HOSTILE_PRIVACY_ADDRESS}\r\nSubject: erase my data\r\nMessage-ID: <${messageId}>\r\n\r\n${body}\r\n`;
const smtpControlId = `${randomUUID()}@mail.signer.example`;

/**
 * SMTP smuggling: a message whose body holds `<ending>` and then a second, forged transaction.
 * Only CR LF . CR LF ends DATA here; any other ending of a line holding a dot is refused, so that
 * no server in front of intake reads the forged transaction as a second mail.
 */
const smuggled = (ending: string) =>
  smtpSession(async (client) => {
    await client.command('EHLO tests.example');
    await client.command('MAIL FROM:<ada@signer.example>');
    await client.command(`RCPT TO:<${HOSTILE_PRIVACY_ADDRESS}>`);
    const go = await client.command('DATA');
    if (go.code !== 354) return go;
    client.write(
      mailText(`smuggler-${unique}@signer.example`, `${randomUUID()}@signer.example`) +
        ending +
        `MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<${HOSTILE_PRIVACY_ADDRESS}>\r\nDATA\r\n` +
        `From: CEO <ceo@bank.example>\r\nSubject: erase everything\r\nMessage-ID: <${randomUUID()}@bank.example>\r\n\r\nForged.\r\n.\r\n`,
    );
    return client.reply();
  });

/** Each part a multipart holding the next: `depth` levels. */
const nestedMultipart = (depth: number) =>
  `From: Ada <ada@signer.example>\r\nSubject: erase\r\n` +
  Array.from({ length: depth }, (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`).join(
    '',
  ) +
  'Content-Type: text/plain\r\n\r\nErase it.\r\n' +
  Array.from({ length: depth }, (_, i) => `--b${depth - 1 - i}--\r\n`).join('');

const tooManyParts = [
  'From: ada@signer.example',
  `To: ${HOSTILE_PRIVACY_ADDRESS}`,
  'Subject: erase',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  ...Array.from({ length: 400 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx'),
  '--b--',
  '',
].join('\r\n');

const smtpRows: Row[] = [
  ['a valid mail (the control)', 250, '2.0.0', () => smtpMail(mailText(`ada-${unique}@signer.example`, smtpControlId))],
  [
    'the same Message-ID again (an MTA retry)',
    250,
    '2.0.0',
    () => smtpMail(mailText(`ada-${unique}@signer.example`, smtpControlId)),
  ],
  ['no From header', 550, '5.1.7', () => smtpMail(fixture('no-from.eml'))],
  ['a From with a name but no address', 550, '5.1.7', () => smtpMail(fixture('from-without-address.eml'))],
  ['a From that is not an address', 550, '5.1.7', () => smtpMail(fixture('from-not-an-address.eml'))],
  ['a From that is an empty group', 550, '5.1.7', () => smtpMail(fixture('from-empty-group.eml'))],
  [
    'a Reply-To smuggling a Bcc through an encoded CR LF (header injection)',
    550,
    '5.1.7',
    () => smtpMail(fixture('header-injection-encoded-crlf.eml')),
  ],
  ['wrong charsets and no usable sender', 550, '5.1.7', () => smtpMail(fixture('wrong-charsets-no-sender.eml'))],
  ['an HTML-only body and no From', 550, '5.1.7', () => smtpMail(fixture('html-only-no-from.eml'))],
  ['a broken multipart and a malformed From', 550, '5.1.7', () => smtpMail(fixture('broken-multipart-bad-from.eml'))],
  ['NUL bytes in the headers', 554, '5.6.0', () => smtpMail(fixture('nul-bytes-in-headers.eml'))],
  ['neither subject nor text', 554, '5.6.0', () => smtpMail(fixture('nothing-asked.eml'))],
  ['nothing but an empty line', 554, '5.6.0', () => smtpMail(fixture('empty.eml'))],
  ['binary junk', 550, '5.1.7', () => smtpMail(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)))],
  ['more MIME parts than allowed', 554, '5.6.0', () => smtpMail(tooManyParts)],
  [
    'a From of 500 malformed addresses',
    550,
    '5.1.7',
    () =>
      smtpMail(
        `From: ${Array.from({ length: 500 }, (_, i) => `"n${i}" <bad${i}@@x>`).join(', ')}\r\nSubject: erase\r\n\r\nbody\r\n`,
      ),
  ],
  [
    'a From with a CR LF Bcc folded into it (header injection)',
    550,
    '5.1.7',
    () => smtpMail(`From: =?utf-8?Q?Ada=0D=0ABcc:_victim@evil.example?=\r\nSubject: erase\r\n\r\nErase it.\r\n`),
  ],
  [
    'a mail over the size limit',
    552,
    '5.3.4',
    () => smtpMail(mailText(`big-${unique}@signer.example`, `${randomUUID()}@x`, 'x'.repeat(HOSTILE_MAX_MAIL_BYTES))),
  ],
  [
    'MAIL FROM announcing a SIZE over the limit',
    552,
    'Error: message exceeds fixed maximum message size 65536',
    () => smtpMail('x', { mailArgs: ` SIZE=${HOSTILE_MAX_MAIL_BYTES + 1}` }),
  ],
  ['smuggling with LF . LF', 554, '5.5.2', () => smuggled('\n.\n')],
  ['smuggling with LF . CR LF', 554, '5.5.2', () => smuggled('\n.\r\n')],
  ['smuggling with CR LF . LF', 554, '5.5.2', () => smuggled('\r\n.\n')],
  ['smuggling with CR . CR LF', 554, '5.5.2', () => smuggled('\r.\r\n')],
  ['smuggling with CR LF . CR', 554, '5.5.2', () => smuggled('\r\n.\r')],
  [
    'a recipient that is not a privacy address',
    550,
    '5.1.1',
    () => smtpMail('x', { rcpt: 'postmaster@relay.example' }),
  ],
  [
    'a recipient on another domain (open relay attempt)',
    550,
    '5.1.1',
    () => smtpMail('x', { rcpt: 'victim@bank.example' }),
  ],
  [
    '30 refused recipients in one session (recipient harvesting)',
    421,
    '4.7.0',
    () =>
      smtpSession(async (client) => {
        await client.command('EHLO tests.example');
        await client.command('MAIL FROM:<ada@signer.example>');
        let last = { code: 0, text: '' };
        for (let i = 0; i < 30 && last.code !== 421; i += 1)
          last = await client.command(`RCPT TO:<user${i}@relay.example>`);
        return last;
      }),
  ],
  [
    'MAIL FROM with a malformed address',
    501,
    'Error: Bad sender address syntax',
    () => smtpMail('x', { from: 'a@@b' }),
  ],
  [
    '5,000 header lines',
    554,
    '5.6.0',
    () =>
      smtpMail(`From: Ada <ada@signer.example>\r\n${'X-Junk: x\r\n'.repeat(5_000)}Subject: erase\r\n\r\nErase it.\r\n`),
  ],
  ['multiparts nested 200 deep', 554, '5.6.0', () => smtpMail(nestedMultipart(200))],
  [
    'a command line of 100,000 characters',
    421,
    'Error: Command line too long',
    () => smtpSession((client) => client.command(`NOOP ${'x'.repeat(100_000)}`)),
  ],
  [
    'a recipient of 5,000 characters',
    501,
    'Error: Bad recipient address syntax',
    () => smtpMail('x', { rcpt: `${'a'.repeat(5_000)}@relay.example` }),
  ],
  [
    'DATA before any recipient',
    503,
    'Error: need RCPT command',
    () =>
      smtpSession(async (client) => {
        await client.command('EHLO tests.example');
        return client.command('DATA');
      }),
  ],
  [
    'RCPT TO before MAIL FROM',
    503,
    'Error: need MAIL command',
    () =>
      smtpSession(async (client) => {
        await client.command('EHLO tests.example');
        return client.command(`RCPT TO:<${HOSTILE_PRIVACY_ADDRESS}>`);
      }),
  ],
  [
    'a second MAIL FROM in one transaction',
    503,
    'Error: nested MAIL command',
    () =>
      smtpSession(async (client) => {
        await client.command('EHLO tests.example');
        await client.command('MAIL FROM:<ada@signer.example>');
        return client.command('MAIL FROM:<eve@signer.example>');
      }),
  ],
  [
    'MAIL FROM before EHLO',
    503,
    'Error: send HELO/EHLO first',
    () => smtpSession((client) => client.command('MAIL FROM:<ada@signer.example>')),
  ],
  [
    'AUTH (not offered)',
    500,
    'Error: command not recognized',
    () => smtpSession((client) => client.command('AUTH PLAIN AGFkYQBwYXNz')),
  ],
  [
    'STARTTLS without a certificate',
    500,
    'Error: command not recognized',
    () => smtpSession((client) => client.command('STARTTLS')),
  ],
  ['an unknown command', 500, 'Error: command not recognized', () => smtpSession((client) => client.command('XYZZY'))],
  [
    'ten unknown commands',
    421,
    'Error: too many unrecognized commands',
    () =>
      smtpSession(async (client) => {
        let last = { code: 0, text: '' };
        for (let i = 0; i < 10; i += 1) last = await client.command(`XYZZY${i}`);
        return last;
      }),
  ],
  [
    'a null sender (a bounce) with a request-like mail',
    250,
    '2.0.0',
    () => smtpMail(mailText(`mailer-daemon-${unique}@signer.example`, `${randomUUID()}@x`), { from: '' }),
  ],
];

// --- SNS: POST /v1/inbound/ses and POST /v1/ses/events -----------------------------------------

const INBOUND = '/v1/inbound/ses';
const UNREACHABLE_CERT_URL = 'https://sns.eu-west-2.amazonaws.com/unreachable.pem';
const EVENTS_PATH = '/v1/ses/events';
const snsPost = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  post(path, body, { 'content-type': 'text/plain; charset=UTF-8', ...headers });
const signed = (input: SnsEnvelopeInput, key = stack.pki.keyPem) => signedSnsMessage(key, input);
const signedText = (input: SnsEnvelopeInput, key?: string) => JSON.stringify(signed(input, key));
const tampered = (input: SnsEnvelopeInput, field: string, value: string) =>
  JSON.stringify({ ...signed(input), [field]: value });

/** The rows every SNS endpoint must answer the same way, for the endpoint's own topic and a valid Message. */
function snsRows(path: string, topicArn: string, otherTopicArn: string, message: () => string): Row[] {
  const ok = (extra: Partial<SnsEnvelopeInput> = {}): SnsEnvelopeInput => ({ message: message(), topicArn, ...extra });
  return [
    ['an empty body', 400, 'SNS_MALFORMED', () => snsPost(path, '')],
    ['a body that is not JSON', 400, 'SNS_MALFORMED', () => snsPost(path, '{"Type": "Notification",')],
    ['a JSON array', 400, 'SNS_MALFORMED', () => snsPost(path, '[1,2,3]')],
    [
      'an SNS message without its Signature',
      400,
      'SNS_MALFORMED',
      () => snsPost(path, JSON.stringify({ ...signed(ok()), Signature: undefined })),
    ],
    ['SignatureVersion 3', 400, 'SNS_MALFORMED', () => snsPost(path, tampered(ok(), 'SignatureVersion', '3'))],
    ['an unknown Type', 400, 'SNS_MALFORMED', () => snsPost(path, tampered(ok(), 'Type', 'Takeover'))],
    [
      '{"$gt": ""} as the TopicArn',
      400,
      'SNS_MALFORMED',
      () => snsPost(path, JSON.stringify({ ...signed(ok()), TopicArn: { $gt: '' } })),
    ],
    [
      'a message-type header contradicting the body',
      400,
      'SNS_MALFORMED',
      () => snsPost(path, signedText(ok()), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }),
    ],
    [
      'a validly signed message from a topic not allowed',
      403,
      'SNS_TOPIC_NOT_ALLOWED',
      () => snsPost(path, signedText(ok({ topicArn: 'arn:aws:sns:eu-west-2:999999999999:attacker' }))),
    ],
    [
      'a validly signed message of the other endpoint’s topic',
      403,
      'SNS_TOPIC_NOT_ALLOWED',
      () => snsPost(path, signedText(ok({ topicArn: otherTopicArn }))),
    ],
    [
      'a Message changed after signing',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'Message', message().replace(/}$/, ',"x":1}'))),
    ],
    [
      'a MessageId changed after signing',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'MessageId', randomUUID())),
    ],
    [
      'a Timestamp changed after signing',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'Timestamp', '2020-01-01T00:00:00.000Z')),
    ],
    [
      'a Subject added after signing',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'Subject', 'added')),
    ],
    [
      'a signature that is not Base64',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'Signature', '!!!not-base64!!!')),
    ],
    [
      'a signature by another key',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok(), stack.pki.rogueKeyPem)),
    ],
    [
      'a version 1 message signed as version 2',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, tampered(ok(), 'SignatureVersion', '1')),
    ],
    [
      'a certificate from another CA (for sns.amazonaws.com)',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: ROGUE_CERT_URL }), stack.pki.rogueKeyPem)),
    ],
    [
      'a certificate URL serving no certificate',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: JUNK_CERT_URL }))),
    ],
    [
      'a certificate URL over http',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: TEST_CERT_URL.replace('https:', 'http:') }))),
    ],
    [
      'a certificate URL on another host',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: 'https://evil.example/SimpleNotificationService-test.pem' }))),
    ],
    [
      'a certificate URL on a look-alike host',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: 'https://sns.eu-west-2.amazonaws.com.evil.example/cert.pem' }))),
    ],
    [
      'a certificate URL with credentials',
      403,
      'SNS_SIGNATURE_INVALID',
      () =>
        snsPost(
          path,
          signedText(ok({ certUrl: 'https://user@sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem' })),
        ),
    ],
    [
      'a certificate URL with a port',
      403,
      'SNS_SIGNATURE_INVALID',
      () =>
        snsPost(
          path,
          signedText(ok({ certUrl: 'https://sns.eu-west-2.amazonaws.com:8443/SimpleNotificationService-test.pem' })),
        ),
    ],
    [
      'a certificate URL with a query',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: `${TEST_CERT_URL}?x=1` }))),
    ],
    [
      'a certificate URL that is not a .pem',
      403,
      'SNS_SIGNATURE_INVALID',
      () => snsPost(path, signedText(ok({ certUrl: 'https://sns.eu-west-2.amazonaws.com/cert.txt' }))),
    ],
    [
      'a certificate that cannot be fetched now',
      503,
      'SNS_CERTIFICATE_UNAVAILABLE',
      () => snsPost(path, signedText(ok({ certUrl: UNREACHABLE_CERT_URL }))),
    ],
    [
      'a SubscriptionConfirmation for a topic not allowed',
      403,
      'SNS_TOPIC_NOT_ALLOWED',
      () =>
        snsPost(
          path,
          signedText(ok({ type: 'SubscriptionConfirmation', topicArn: 'arn:aws:sns:eu-west-2:999999999999:attacker' })),
        ),
    ],
    [
      'a SubscriptionConfirmation whose SubscribeURL is on another host',
      400,
      'SNS_SUBSCRIBE_URL_INVALID',
      () =>
        snsPost(
          path,
          signedText(
            ok({ type: 'SubscriptionConfirmation', subscribeUrl: 'https://evil.example/?Action=ConfirmSubscription' }),
          ),
        ),
    ],
    [
      'a SubscriptionConfirmation whose SubscribeURL is http',
      400,
      'SNS_SUBSCRIBE_URL_INVALID',
      () =>
        snsPost(
          path,
          signedText(
            ok({
              type: 'SubscriptionConfirmation',
              subscribeUrl: 'http://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription',
            }),
          ),
        ),
    ],
    ['a body over the route limit', 413, 'BODY_TOO_LARGE', () => snsPost(path, 'x'.repeat(1024 * 1024))],
  ];
}

const inboundMail = (from: string, messageId: string) => sesReceivedMessage(mailText(from, messageId));
const sesControlId = `${randomUUID()}@mail.signer.example`;
let sesControl: string;

const inboundRows: Row[] = [
  ['a signed Received notification (the control)', 200, 'accepted', () => snsPost(INBOUND, sesControl)],
  ['the same notification again (a replay)', 200, 'accepted', () => snsPost(INBOUND, sesControl)],
  ...snsRows(INBOUND, TEST_TOPIC_ARN, HOSTILE_EVENTS_TOPIC_ARN, () =>
    inboundMail(`forger-${unique}@signer.example`, `${randomUUID()}@x`),
  ),
  [
    'a signed Message that is not JSON',
    400,
    'SES_NOTIFICATION_MALFORMED',
    () => snsPost(INBOUND, signedText({ message: 'not json' })),
  ],
  [
    'a signed Message that is a JSON array',
    400,
    'SES_NOTIFICATION_MALFORMED',
    () => snsPost(INBOUND, signedText({ message: '[]' })),
  ],
  [
    'a signed Received notification without content',
    422,
    'SES_CONTENT_MISSING',
    () => snsPost(INBOUND, signedText({ message: JSON.stringify({ notificationType: 'Received', receipt: {} }) })),
  ],
  [
    'signed content without a From',
    422,
    'EMAIL_UNUSABLE',
    () => snsPost(INBOUND, signedText({ message: sesReceivedMessage(fixture('no-from.eml').toString('utf8')) })),
  ],
  [
    'signed content that is binary junk',
    422,
    'EMAIL_UNUSABLE',
    () =>
      snsPost(
        INBOUND,
        signedText({
          message: sesReceivedMessage(
            Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 37) % 256)).toString('latin1'),
          ),
        }),
      ),
  ],
  [
    'signed BASE64 content that is no Base64',
    422,
    'EMAIL_UNUSABLE',
    () =>
      snsPost(
        INBOUND,
        signedText({
          message: JSON.stringify({ ...JSON.parse(sesReceivedMessage('x', {}, 'BASE64')), content: '!!!%%%***' }),
        }),
      ),
  ],
  [
    'signed content over the mail size limit',
    413,
    'EMAIL_TOO_LARGE',
    () => snsPost(INBOUND, signedText({ message: sesReceivedMessage('x'.repeat(HOSTILE_MAX_MAIL_BYTES + 1)) })),
  ],
];

let forwarded: ForwardedCase;
/** An SES event notification about the forwarded case's mail. */
const sesEvent = (eventType: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    eventType,
    mail: {
      timestamp: new Date().toISOString(),
      source: 'relay@relay.test',
      messageId: forwarded.sesMessageId,
      destination: [stack.contact],
      tags: { caseId: [forwarded.caseId], contactIndex: ['0'] },
    },
    ...(eventType === 'Bounce'
      ? {
          bounce: {
            bounceType: 'Permanent',
            bounceSubType: 'General',
            bouncedRecipients: [{ emailAddress: stack.contact }],
            timestamp: new Date().toISOString(),
          },
        }
      : {}),
    ...extra,
  });
let eventControl: string;

const eventRows: Row[] = [
  ...snsRows(EVENTS_PATH, HOSTILE_EVENTS_TOPIC_ARN, TEST_TOPIC_ARN, () => sesEvent('Bounce')),
  [
    'a signed Message that is not JSON',
    400,
    'SES_EVENT_MALFORMED',
    () => snsPost(EVENTS_PATH, signedText({ message: 'not json', topicArn: HOSTILE_EVENTS_TOPIC_ARN })),
  ],
  [
    'a signed Bounce without its mail',
    400,
    'SES_EVENT_MALFORMED',
    () =>
      snsPost(
        EVENTS_PATH,
        signedText({ message: JSON.stringify({ eventType: 'Bounce' }), topicArn: HOSTILE_EVENTS_TOPIC_ARN }),
      ),
  ],
  [
    'a signed Bounce with an empty messageId',
    400,
    'SES_EVENT_MALFORMED',
    () =>
      snsPost(
        EVENTS_PATH,
        signedText({
          message: JSON.stringify({ eventType: 'Bounce', mail: { messageId: '' } }),
          topicArn: HOSTILE_EVENTS_TOPIC_ARN,
        }),
      ),
  ],
  [
    'a signed Bounce with {"$ne": null} as its messageId',
    400,
    'SES_EVENT_MALFORMED',
    () =>
      snsPost(
        EVENTS_PATH,
        signedText({
          message: JSON.stringify({ eventType: 'Bounce', mail: { messageId: { $ne: null } } }),
          topicArn: HOSTILE_EVENTS_TOPIC_ARN,
        }),
      ),
  ],
  [
    'a signed Bounce with 101 recipients',
    400,
    'SES_EVENT_MALFORMED',
    () =>
      snsPost(
        EVENTS_PATH,
        signedText({
          message: sesEvent('Bounce', {
            bounce: { bouncedRecipients: Array.from({ length: 101 }, (_, i) => ({ emailAddress: `x${i}@x.example` })) },
          }),
          topicArn: HOSTILE_EVENTS_TOPIC_ARN,
        }),
      ),
  ],
  [
    'a signed Open event (no delivery fact)',
    200,
    'ignored',
    () => snsPost(EVENTS_PATH, signedText({ message: sesEvent('Open'), topicArn: HOSTILE_EVENTS_TOPIC_ARN })),
  ],
  [
    'a signed event of an unknown type with control characters',
    200,
    'ignored',
    () =>
      snsPost(EVENTS_PATH, signedText({ message: sesEvent('Bounce\n{"$gt":""}'), topicArn: HOSTILE_EVENTS_TOPIC_ARN })),
  ],
  ['a signed Delivery (the control)', 200, 'published', () => snsPost(EVENTS_PATH, eventControl)],
  ['the same Delivery again (a replay)', 200, 'published', () => snsPost(EVENTS_PATH, eventControl)],
];

describe('Hostile input at intake: the JSON API, the form, the links, SMTP and both SNS endpoints', () => {
  beforeAll(async () => {
    await stack.start();
    form = await openForm(stack.intakeUrl);
    sesControl = signedText({ message: inboundMail(`ses-${unique}@signer.example`, sesControlId) });
    forwarded = await stack.forwardedCase();
    eventControl = signedText({
      message: sesEvent('Delivery', { delivery: { recipients: [stack.contact], timestamp: new Date().toISOString() } }),
      topicArn: HOSTILE_EVENTS_TOPIC_ARN,
    });
  });
  afterAll(() => stack.stop());

  describe(`POST /v1/requests: ${jsonApiRows.length} inputs`, () => runTable('POST /v1/requests', jsonApiRows));
  describe(`POST /request (the form): ${formRows.length} inputs`, () => runTable('the form', formRows));
  describe(`The requester's links: ${linkRows.length} inputs`, () => runTable("the requester's links", linkRows));
  describe(`SMTP: ${smtpRows.length} inputs`, () => runTable('SMTP', smtpRows));
  describe(`POST /v1/inbound/ses: ${inboundRows.length} inputs`, () => runTable('POST /v1/inbound/ses', inboundRows));
  describe(`POST /v1/ses/events: ${eventRows.length} inputs`, () => runTable('POST /v1/ses/events', eventRows));

  it('When every hostile input has been answered, then Kafka holds only the controls’ requests, the SubscribeURLs were never fetched and the relay’s case only has the control’s delivery', async () => {
    // By event id: a retry may send the same event again (docs/api.md), never a new one.
    const received = new Map(
      (await stack.messagesOn(EVENTS.requestReceivedV1))
        .map((m) => JSON.parse(m.value) as { id: string; payload: { idempotencyKey: string; channel: string } })
        .map((event) => [event.id, event.payload] as const)
        // The forwarded case's request, published by the test as intake would.
        .filter(([, payload]) => !payload.idempotencyKey.startsWith('test:')),
    );
    expect([...received.values()].map((p) => p.channel).sort()).toEqual(['api', 'email-ses', 'email-smtp', 'web-form']);
    expect([...received.values()].map((p) => p.idempotencyKey)).toEqual(
      expect.arrayContaining([`email:${smtpControlId}`, `email:${sesControlId}`]),
    );
    // Nothing mailed to an address injected into a header.
    expect(await stack.mailsTo('victim@evil.example')).toEqual([]);
    // Only certificates were fetched, and only on SNS hosts: no SubscribeURL, no other host.
    const certificateUrls = [TEST_CERT_URL, ROGUE_CERT_URL, JUNK_CERT_URL, UNREACHABLE_CERT_URL];
    expect(stack.fetchedUrls.filter((url) => !certificateUrls.includes(url))).toEqual([]);
    const mailEvents = (await stack.messagesOn(EVENTS.mailEventV1)).map(
      (m) => JSON.parse(m.value) as { id: string; payload: { status: string } },
    );
    // The control and its replay: one event id, twice.
    expect(new Set(mailEvents.map((e) => e.id)).size).toBe(1);
    expect(mailEvents.map((e) => e.payload.status)).toEqual(['delivered', 'delivered']);
    // The relay has handled every mail event (the control and its replay) before the case is read.
    await stack.relayConsumed(EVENTS.mailEventV1, '.forwarding');
    const stored = await stack.storedCase(forwarded.caseId);
    expect(stored?.data.state).toBe('forwarded');
    expect(stored?.data.audit.filter((line) => line.what.startsWith('delivery'))).toHaveLength(1);
  });
});
