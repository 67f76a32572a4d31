import { connect } from 'node:net';
import { openForm, startIntake, uniqueEmail, validBody, type IntakeHarness } from '../support/intake-harness';

/**
 * A corpus of broken HTTP inputs. Each must get a clear 4xx with a stable error code (or, for the
 * form, an HTML page), never a 5xx or a crash; afterwards the service still answers.
 */
type Case = {
  name: string;
  path?: string;
  method?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer | ((form: FormContext) => string);
  /** Send the form's CSRF cookie along. */
  withCookie?: boolean;
  status: number;
  code?: string;
  /** Text the HTML answer must contain (form cases). */
  html?: string;
};
type FormContext = { formToken: string; email: string };

const BODY_LIMIT = 64 * 1024;
const json = (value: unknown) => JSON.stringify(value);
const body = (overrides: Record<string, unknown> = {}) => validBody(uniqueEmail('corpus'), overrides);
const requesterWith = (fields: Record<string, unknown>) =>
  json(body({ requester: { name: 'Ada Example', email: uniqueEmail('corpus'), ...fields } }));
const form = (fields: Array<[string, string]>) => (ctx: FormContext) =>
  new URLSearchParams([['formToken', ctx.formToken], ...fields]).toString();
const validForm = (ctx: FormContext): Array<[string, string]> => [
  ['name', 'Ada Example'],
  ['email', ctx.email],
  ['rights', 'access'],
];

const CASES: Case[] = [
  // --- JSON syntax and framing ---
  { name: 'malformed JSON', body: '{"requester": {"name": "Ada"', status: 400, code: 'MALFORMED_JSON' },
  { name: 'empty JSON body', body: '', status: 400, code: 'MALFORMED_JSON' },
  { name: 'JSON null', body: 'null', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON array at the top', body: '[]', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON string at the top', body: '"please"', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'JSON number at the top', body: '42', status: 400, code: 'VALIDATION_FAILED' },
  { name: 'trailing garbage after JSON', body: `${json(body())}xyz`, status: 400, code: 'MALFORMED_JSON' },
  {
    name: 'body over INTAKE_BODY_LIMIT_BYTES',
    body: json(body({ text: 'x'.repeat(BODY_LIMIT) })),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: 'deeply nested JSON',
    body: json(body({ text: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) })),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // --- content types and charsets ---
  { name: 'text/plain', contentType: 'text/plain', body: json(body()), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type', contentType: null, body: json(body()), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'XML', contentType: 'application/xml', body: '<request/>', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  {
    name: 'form encoding sent to the JSON API',
    contentType: 'application/x-www-form-urlencoded',
    body: 'name=Ada',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'multipart sent to the JSON API',
    contentType: 'multipart/form-data; boundary=x',
    body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'JSON declared as latin1',
    contentType: 'application/json; charset=iso-8859-1',
    body: json(body()),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'JSON declared as UTF-16',
    contentType: 'application/json; charset=utf-16',
    body: Buffer.from(json(body()), 'utf16le'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'invalid UTF-8 bytes in a JSON body',
    body: Buffer.concat([Buffer.from('{"requester":{"name":"Ad'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]),
    status: 400,
    code: 'INVALID_ENCODING',
  },
  // --- header injection and control characters ---
  { name: 'CR/LF in the name', body: requesterWith({ name: 'Ada\r\nBcc: x@evil.test' }), status: 400 },
  { name: 'CR/LF in the email', body: requesterWith({ email: 'ada@example.org\r\nBcc: x@evil.test' }), status: 400 },
  { name: 'LF in the company email', body: json(body({ company: { email: 'a@b.org\nCc: c@d.org' } })), status: 400 },
  { name: 'NUL in the company name', body: json(body({ company: { name: 'Acme\u0000Ltd' } })), status: 400 },
  { name: 'Unicode line separator in the name', body: requesterWith({ name: 'Ada\u2028Eve' }), status: 400 },
  // --- script where it cannot belong ---
  { name: 'script as the email', body: requesterWith({ email: '<script>alert(1)</script>' }), status: 400 },
  { name: 'script as a right', body: json(body({ rights: ['<script>alert(1)</script>'] })), status: 400 },
  { name: 'script as the regime hint', body: json(body({ regimeHint: '<img src=x onerror=alert(1)>' })), status: 400 },
  {
    name: 'script as a field name',
    body: json({ ...body(), '<script>': 1 }),
    status: 400,
    code: 'UNKNOWN_FIELD',
  },
  // --- unknown fields, wrong types, missing values ---
  {
    name: 'unknown top-level field',
    body: json({ ...body(), priority: 'urgent' }),
    status: 400,
    code: 'UNKNOWN_FIELD',
  },
  { name: 'unknown requester field', body: requesterWith({ phone: '123' }), status: 400, code: 'UNKNOWN_FIELD' },
  {
    name: 'unknown company field',
    body: json(body({ company: { name: 'Acme', tenantId: 't1' } })),
    status: 400,
    code: 'UNKNOWN_FIELD',
  },
  { name: 'rights as a string', body: json(body({ rights: 'access' })), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'name as a number', body: requesterWith({ name: 42 }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'text as an object', body: json(body({ text: { a: 1 } })), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'requester as an array', body: json(body({ requester: [] })), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'requester missing', body: json({ rights: ['access'] }), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'empty rights', body: json(body({ rights: [] })), status: 400, code: 'VALIDATION_FAILED' },
  { name: 'unknown right', body: json(body({ rights: ['teleportation'] })), status: 400, code: 'VALIDATION_FAILED' },
  {
    name: '"other" right without saying what',
    body: json(body({ rights: ['other'], text: '' })),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'huge rights array',
    body: json(body({ rights: Array.from({ length: 1500 }, () => 'access') })),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'name over its bound', body: requesterWith({ name: 'A'.repeat(201) }), status: 400 },
  { name: 'email over its bound', body: requesterWith({ email: `${'a'.repeat(250)}@example.org` }), status: 400 },
  { name: 'free text over its bound', body: json(body({ text: 'x'.repeat(20_001) })), status: 400 },
  { name: 'empty name', body: requesterWith({ name: '   ' }), status: 400, code: 'VALIDATION_FAILED' },
  // --- prototype pollution ---
  { name: '__proto__ at the top', body: `{"__proto__": {"admin": true}, ${json(body()).slice(1)}`, status: 400 },
  {
    name: 'constructor.prototype at the top',
    body: `{"constructor": {"prototype": {"admin": true}}, ${json(body()).slice(1)}`,
    status: 400,
  },
  {
    name: '__proto__ inside the requester',
    body: requesterWith({}).replace('"requester":{', '"requester":{"__proto__":{"x":1},'),
    status: 400,
  },
  // --- headers ---
  {
    name: 'Idempotency-Key over 200 characters',
    headers: { 'idempotency-key': 'k'.repeat(201) },
    body: json(body()),
    status: 400,
    code: 'BAD_IDEMPOTENCY_KEY',
  },
  {
    name: 'Idempotency-Key with a space',
    headers: { 'idempotency-key': 'a b' },
    body: json(body()),
    status: 400,
    code: 'BAD_IDEMPOTENCY_KEY',
  },
  // --- routes and methods ---
  { name: 'GET on the API', method: 'GET', body: undefined, contentType: null, status: 404, code: 'NOT_FOUND' },
  { name: 'PUT on the API', method: 'PUT', body: json(body()), status: 404, code: 'NOT_FOUND' },
  // --- the web form ---
  {
    name: 'form: JSON instead of form encoding',
    path: '/request',
    body: json(body()),
    withCookie: true,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form: declared as latin1',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded; charset=iso-8859-1',
    body: (ctx) => form(validForm(ctx))(ctx),
    withCookie: true,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form: no token',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) => new URLSearchParams(validForm(ctx)).toString(),
    withCookie: true,
    status: 403,
    html: 'Please reload the form',
  },
  {
    name: 'form: token without its cookie',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) => form(validForm(ctx))(ctx),
    status: 403,
    html: 'Please reload the form',
  },
  {
    name: 'form: unknown field',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) => form([...validForm(ctx), ['isAdmin', 'true']])(ctx),
    withCookie: true,
    status: 400,
    html: 'unknown field(s): isAdmin',
  },
  {
    name: 'form: __proto__ field',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) => `${form(validForm(ctx))(ctx)}&__proto__=x&constructor=y`,
    withCookie: true,
    status: 400,
    html: 'unknown field(s)',
  },
  {
    name: 'form: CR/LF in the email',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: form([
      ['name', 'Ada'],
      ['email', 'ada@example.org\r\nBcc: x@evil.test'],
      ['rights', 'access'],
    ]),
    withCookie: true,
    status: 400,
    html: 'Please correct the following',
  },
  {
    name: 'form: thousands of repeated rights',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) =>
      form([
        ['name', 'Ada'],
        ['email', ctx.email],
        ...Array.from({ length: 1000 }, (): [string, string] => ['rights', 'access']),
      ])(ctx),
    withCookie: true,
    status: 400,
    html: 'Please correct the following',
  },
  {
    name: 'form: script in the name and no rights (re-rendered escaped)',
    path: '/request',
    contentType: 'application/x-www-form-urlencoded',
    body: (ctx) =>
      form([
        ['name', '<script>alert(1)</script>'],
        ['email', ctx.email],
      ])(ctx),
    withCookie: true,
    status: 400,
    html: '&lt;script&gt;alert(1)&lt;/script&gt;',
  },
  // --- links ---
  { name: 'verification with a garbage token', path: '/verify/not.a.token.at-all', contentType: null, status: 404 },
  {
    name: 'status with an overlong token',
    path: `/status/${'a'.repeat(400)}`,
    method: 'GET',
    contentType: null,
    status: 414,
  },
  {
    name: 'code post with a forged status token',
    path: '/status/status.x.y.z/code',
    contentType: 'application/x-www-form-urlencoded',
    body: 'code=123456',
    status: 404,
  },
];

describe('Intake over HTTP: a corpus of broken inputs gets clear 4xx answers and no crash', () => {
  let h: IntakeHarness;
  let ctx: FormContext;
  let cookie: string;
  /** `status code` of every JSON error the API answered to the corpus. */
  const answered = new Set<string>();

  beforeAll(async () => {
    h = await startIntake('corpus', { INTAKE_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    const opened = await openForm(h.baseUrl);
    cookie = opened.cookie;
    ctx = { formToken: opened.formToken, email: uniqueEmail('corpus-form') };
  });

  afterAll(async () => {
    await h?.stop();
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    'When %s is sent, then the answer is a clear 4xx',
    async (_name, c) => {
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
      if (contentType) headers['content-type'] = contentType;
      if (c.withCookie) headers.cookie = cookie;
      const payload = typeof c.body === 'function' ? c.body(ctx) : c.body;
      const response = await fetch(`${h.baseUrl}${c.path ?? '/v1/requests'}`, {
        method: c.method ?? 'POST',
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
      const text = await response.text();
      expect(response.status).toBe(c.status);
      if (c.html !== undefined) {
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(text).toContain(c.html);
        expect(text).not.toMatch(/<script>alert/);
      } else if (c.code !== undefined || c.path === undefined) {
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        const parsed = JSON.parse(text) as { error: { code: string; message: string } };
        expect(parsed.error.message).toEqual(expect.any(String));
        if (c.code) expect(parsed.error.code).toBe(c.code);
        if ((c.path ?? '/v1/requests') === '/v1/requests') answered.add(`${response.status} ${parsed.error.code}`);
      } else {
        expect(c.code).toBeUndefined();
      }
    },
  );

  it('When raw HTTP smuggles a body (Content-Length and Transfer-Encoding together), then the server answers 400', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(h.baseUrl).port), '127.0.0.1');
      let data = '';
      // The end of the answer's head is the marker: the answer is in, whatever the server does next.
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
        if (data.includes('\r\n\r\n')) socket.end();
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write(
        'POST /v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\n' +
          'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  });

  it('When the corpus has run, then every input error the API documents (400, 413, 415) was answered to some input with its status', async () => {
    const document = (await (await fetch(`${h.baseUrl}/docs/openapi.json`)).json()) as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    };
    const responses = document.paths['/v1/requests']?.post?.responses ?? {};
    const documented = ['400', '413', '415'].flatMap((status) =>
      // "CODE_A, CODE_B" or "CODE: what to do"
      (responses[status]?.description.split(':')[0]?.match(/\b[A-Z][A-Z_]+[A-Z]\b/g) ?? []).map(
        (code) => `${status} ${code}`,
      ),
    );
    expect(documented).toContain('400 MALFORMED_JSON');
    expect(documented.filter((pair) => !answered.has(pair))).toEqual([]);
  });

  it('When the corpus has run, then the service still answers /healthz and a valid request, and only that one was published', async () => {
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const ok = await fetch(`${h.baseUrl}/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: json(body()),
    });
    expect(ok.status).toBe(202);
    const { reference } = (await ok.json()) as { reference: string };
    const events = await h.receivedEvents(1);
    expect(events.map((event) => event.payload.reference)).toEqual([reference]);
  });
});
