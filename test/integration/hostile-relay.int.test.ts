import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_HEADERS } from '@privacy-relay/shared/kafka';
import { EVENTS, deadLetterTopicName, topicName } from '@privacy-relay/shared/events';
import { CaseLinks } from '@privacy-relay/relay/application/case-links';
import { publishVerifiedRequest, receivedRequestEvent } from '../support/fixtures';
import { DEV_OPERATOR_TOKEN } from '../support/relay-env';
import {
  HOSTILE_RELAY_LINK_SECRET,
  answerOf,
  hostileStack,
  hostileTable,
  rawRequest,
  type ForwardedCase,
  type Row,
} from '../support/hostile-stack';
import { eventually } from '../support/test-env';

/**
 * The hostile-input campaign over the relay's edges (docs/hostile-input.md): the admin action
 * links mailed to tenants and the operator API, with intake running beside it. Each row is one
 * input and the exact answer it must get; after each table both services answer /healthz; at the
 * end, no case or triage decision changed but the controls', and no event was published for a
 * forged input.
 */

const stack = hostileStack('hostilerelay', { sns: false });
const runTable = (edge: string, rows: Row[]) => hostileTable(stack, edge, rows);
const raw = (method: string, path: string, headers: Record<string, string> = {}) =>
  rawRequest(stack.relayUrl, method, path, headers);

// --- The admin action links: /case-links/:caseId/:action/:token -------------------------------

/** Two forwarded cases nobody may change, and one whose acknowledgement is the control. */
let a: ForwardedCase;
let b: ForwardedCase;
let control: ForwardedCase;
/** The acknowledge form's token on the control's page, taken before it is acknowledged. */
let controlPageToken: string;
const pathOf = (link: string) => new URL(link).pathname;
const tokenOf = (link: string) => link.split('/').at(-1) ?? '';
const flip = (token: string) => token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
const linkPath = (caseId: string, action: string, token: string) => `/case-links/${caseId}/${action}/${token}`;
/** Who the cases' links go to: the tenant's one privacy contact. */
const firstContact = () => ({ kind: 'contact' as const, contactIndex: 0, email: stack.contact });
const links = (secret: string) => new CaseLinks(secret, 'https://relay.example', 7 * 24 * 60 * 60 * 1000);
/** A link signed like the relay's, but two weeks ago: long expired. */
const expired = (caseId: string, action: 'acknowledge' | 'done') =>
  pathOf(
    links(HOSTILE_RELAY_LINK_SECRET).linkFor(caseId, action, new Date(Date.now() - 14 * 86_400_000), firstContact()),
  );
/** A well-formed, unexpired link signed with another secret. */
const foreign = (caseId: string) =>
  pathOf(links('another-secret-entirely-0123456789abcdef').linkFor(caseId, 'acknowledge', new Date(), firstContact()));
/** The form token a case page (opened with a valid link) writes for `action`. */
async function pageToken(link: string, action: string): Promise<string> {
  const html = await (await fetch(link)).text();
  const token = new RegExp(`\\.\\./${action}/([^"]+)"`).exec(html)?.[1];
  if (!token) throw new Error(`no ${action} form on the case page`);
  return token;
}
const form = (body: string, contentType = 'application/x-www-form-urlencoded') => ({
  method: 'POST',
  headers: { 'content-type': contentType },
  body,
});
const at = (path: string, init: RequestInit = { method: 'POST' }) =>
  fetch(`${stack.relayUrl}${path}`, init).then(answerOf);

const INVALID = 'Link not valid';

const linkRows: Row[] = [
  [
    'GET of a valid link (opening it changes nothing)',
    200,
    'Privacy request',
    () => at(pathOf(a.links.acknowledge), { method: 'GET' }),
  ],
  ['HEAD of a valid link', 200, 'ACCEPTED', () => raw('HEAD', pathOf(a.links.acknowledge))],
  [
    'GET of a tampered token',
    403,
    INVALID,
    () =>
      at(
        pathOf(a.links.acknowledge).replace(/[^/]+$/, (t) => flip(t)),
        { method: 'GET' },
      ),
  ],
  ['POST of a tampered token', 403, INVALID, () => at(pathOf(a.links.acknowledge).replace(/[^/]+$/, (t) => flip(t)))],
  ['POST of a token cut short', 403, INVALID, () => at(pathOf(a.links.done).slice(0, -3))],
  ['POST of a token without its signature', 403, INVALID, () => at(pathOf(a.links.done).replace(/\.[^./]+$/, ''))],
  ['POST of a token that is a single dot', 403, INVALID, () => at(linkPath(a.caseId, 'done', '.'))],
  ['POST of a token that is junk', 403, INVALID, () => at(linkPath(a.caseId, 'done', 'AAAAAAAAAAAAAAAA.BBBBBBBB'))],
  [
    'POST of b’s acknowledge token on a’s case (cross-case)',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'acknowledge', tokenOf(b.links.acknowledge))),
  ],
  [
    'POST of b’s not-ours token on a’s case (cross-case)',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'not-ours', tokenOf(b.links['not-ours']))),
  ],
  [
    'POST of a’s acknowledge token as done (wrong action)',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'done', tokenOf(a.links.acknowledge))),
  ],
  [
    'POST of a’s done token as not-ours (wrong action)',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'not-ours', tokenOf(a.links.done))),
  ],
  [
    'POST of a’s acknowledge token as extend (wrong action)',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'extend', tokenOf(a.links.acknowledge))),
  ],
  [
    'POST of an action that does not exist',
    403,
    INVALID,
    () => at(linkPath(a.caseId, 'delete', tokenOf(a.links.done))),
  ],
  ['POST of the action in capitals', 403, INVALID, () => at(linkPath(a.caseId, 'DONE', tokenOf(a.links.done)))],
  [
    'POST with a case id that is no UUID',
    403,
    INVALID,
    () => at(linkPath('not-a-case', 'done', tokenOf(a.links.done))),
  ],
  [
    'POST with the case id in capitals',
    403,
    INVALID,
    () => at(linkPath(a.caseId.toUpperCase(), 'done', tokenOf(a.links.done))),
  ],
  ['POST with another, random case id', 403, INVALID, () => at(linkPath(randomUUID(), 'done', tokenOf(a.links.done)))],
  [
    'POST with {"$ne": null} as the case id',
    403,
    INVALID,
    () => at(linkPath(encodeURIComponent('{"$ne":null}'), 'done', tokenOf(a.links.done))),
  ],
  ['POST of an expired link', 403, INVALID, () => at(expired(a.caseId, 'acknowledge'))],
  ['GET of an expired link', 403, INVALID, () => at(expired(a.caseId, 'done'), { method: 'GET' })],
  ['POST of a link signed with another secret', 403, INVALID, () => at(foreign(a.caseId))],
  [
    'POST of a’s page form token on b’s case',
    403,
    INVALID,
    async () => at(linkPath(b.caseId, 'done', await pageToken(a.links.acknowledge, 'done'))),
  ],
  ['POST of a token with an encoded NUL', 403, INVALID, () => at(`${pathOf(a.links.done)}%00`)],
  [
    'POST of an encoded path traversal as the token',
    403,
    INVALID,
    () => raw('POST', linkPath(a.caseId, 'done', '..%2F..%2F..%2Fv1%2Fcases')),
  ],
  [
    'POST of a dot-dot path to the operator API',
    404,
    'NOT_FOUND',
    () => raw('POST', `/case-links/${a.caseId}/done/../../../v1/cases/${a.caseId}/resend`),
  ],
  [
    'GET of an encoded dot-dot path',
    403,
    INVALID,
    () => raw('GET', `/case-links/%2e%2e/%2e%2e/${tokenOf(a.links.done)}`),
  ],
  ['POST of a token of 5,000 characters', 414, 'URI_TOO_LONG', () => at(linkPath(a.caseId, 'done', 'A'.repeat(5_000)))],
  ['GET with broken percent-encoding', 400, 'BAD_URL', () => raw('GET', `${pathOf(a.links.done)}%zz`)],
  ['POST with a segment after the token', 404, 'NOT_FOUND', () => at(`${pathOf(a.links.done)}/again`)],
  ['POST with no token', 403, INVALID, () => at(`/case-links/${a.caseId}/done/`)],
  [
    'POST with the token in the query instead',
    404,
    'NOT_FOUND',
    () => at(`/case-links/${a.caseId}/done?token=${tokenOf(a.links.done)}`),
  ],
  ['PUT of a valid link', 404, 'NOT_FOUND', () => at(pathOf(a.links.done), { method: 'PUT' })],
  ['DELETE of a valid link', 404, 'NOT_FOUND', () => at(pathOf(a.links.done), { method: 'DELETE' })],
  [
    'an extension with {"$gt": ""} as its reason (JSON)',
    400,
    'Privacy request',
    () => at(pathOf(a.links.extend), form(JSON.stringify({ reason: { $gt: '' } }), 'application/json')),
  ],
  ['an extension with an empty reason', 400, 'Privacy request', () => at(pathOf(a.links.extend), form('reason='))],
  [
    'an extension with a reason of 5,000 characters',
    400,
    'Privacy request',
    () => at(pathOf(a.links.extend), form(`reason=${'x'.repeat(5_000)}`)),
  ],
  [
    'an extension body over 16 KiB',
    413,
    'BODY_TOO_LARGE',
    () => at(pathOf(a.links.extend), form(`reason=${'x'.repeat(20_000)}`)),
  ],
  [
    'an extension as multipart',
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    () => at(pathOf(a.links.extend), form('--b\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b')),
  ],
  ['POST of the control’s acknowledge link', 200, 'Request acknowledged', () => at(pathOf(control.links.acknowledge))],
  ['the same POST again (a replay)', 200, 'Already recorded', () => at(pathOf(control.links.acknowledge))],
  [
    'a replay of the acknowledge link’s page form token',
    200,
    'Already recorded',
    () => at(linkPath(control.caseId, 'acknowledge', controlPageToken)),
  ],
];

// --- The operator API --------------------------------------------------------------------------

let triageRequestId: string;
const operator = (method: string, path: string, body?: unknown, token: string | null = DEV_OPERATOR_TOKEN) =>
  fetch(`${stack.relayUrl}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: token.includes(' ') ? token : `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }).then(answerOf);
const bearer = DEV_OPERATOR_TOKEN;

/** Every operator route, called without a credential. */
const unauthenticatedRows = (): Row[] =>
  (
    [
      ['GET', '/triage'],
      ['GET', `/triage/${randomUUID()}`],
      ['POST', `/triage/${randomUUID()}/resolve`],
      ['GET', `/v1/cases?requestId=${randomUUID()}`],
      ['GET', `/v1/cases/${randomUUID()}`],
      ['POST', `/v1/cases/${randomUUID()}/resend`],
      ['PUT', `/v1/cases/${randomUUID()}/contacts/0`],
      ['POST', `/v1/cases/${randomUUID()}/extension`],
    ] as const
  ).map(([method, path]): Row => [
    `${method} ${path.replace(/[0-9a-f-]{36}/, ':id')} without a credential`,
    401,
    'UNAUTHENTICATED',
    () => operator(method, path, method === 'GET' ? undefined : {}, null),
  ]);

const operatorRows: Row[] = [
  ...unauthenticatedRows(),
  [
    'a Basic credential',
    401,
    'UNAUTHENTICATED',
    () =>
      operator(
        'GET',
        '/triage',
        undefined,
        `Basic ${Buffer.from('dev-operator:dev-operator-password').toString('base64')}`,
      ),
  ],
  ['"Bearer" with no token', 401, 'UNAUTHENTICATED', () => operator('GET', '/triage', undefined, 'Bearer ')],
  ['a wrong bearer token', 401, 'UNAUTHENTICATED', () => operator('GET', '/triage', undefined, 'not-the-token')],
  [
    'the token with one character changed',
    401,
    'UNAUTHENTICATED',
    () => operator('GET', '/triage', undefined, `${bearer.slice(0, -1)}X`),
  ],
  ['the token’s prefix', 401, 'UNAUTHENTICATED', () => operator('GET', '/triage', undefined, bearer.slice(0, 5))],
  [
    'the token twice',
    401,
    'UNAUTHENTICATED',
    () => operator('GET', '/triage', undefined, `Bearer ${bearer} ${bearer}`),
  ],
  [
    'the SHA-256 of the token',
    401,
    'UNAUTHENTICATED',
    () => operator('GET', '/triage', undefined, 'f0e2a4b2c4e0b3b3f0c8e2b0e7a0d8f3a5a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6'),
  ],
  [
    'a token of 10,000 characters',
    401,
    'UNAUTHENTICATED',
    () => operator('GET', '/triage', undefined, 'x'.repeat(10_000)),
  ],
  [
    'a console session cookie instead of a token',
    401,
    'UNAUTHENTICATED',
    () => fetch(`${stack.relayUrl}/triage`, { headers: { cookie: 'relay_console=forged' } }).then(answerOf),
  ],
  ['GET /triage?limit[$gt]=0', 400, 'UNKNOWN_FIELD', () => operator('GET', '/triage?limit[$gt]=0')],
  ['GET /triage?limit=0', 400, 'INVALID_INPUT', () => operator('GET', '/triage?limit=0')],
  ['GET /triage?limit=100000', 400, 'INVALID_INPUT', () => operator('GET', '/triage?limit=100000')],
  ['GET /triage?limit=abc', 400, 'INVALID_INPUT', () => operator('GET', '/triage?limit=abc')],
  ['GET /triage?limit=1&limit=2', 400, 'INVALID_INPUT', () => operator('GET', '/triage?limit=1&limit=2')],
  ['GET /triage?operatorId=someone', 400, 'UNKNOWN_FIELD', () => operator('GET', '/triage?operatorId=someone')],
  [
    'GET /triage/{"$gt":""}',
    400,
    'INVALID_INPUT',
    () => operator('GET', `/triage/${encodeURIComponent('{"$gt":""}')}`),
  ],
  ['GET /triage/ of an unknown request', 404, 'TRIAGE_NOT_FOUND', () => operator('GET', `/triage/${randomUUID()}`)],
  [
    'a resolution naming the operator in the body',
    400,
    'UNKNOWN_FIELD',
    () =>
      operator('POST', `/triage/${triageRequestId}/resolve`, { action: 'reject-as-spam', operatorId: 'someone-else' }),
  ],
  [
    'a resolution with {"$gt": ""} as its action',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, { action: { $gt: '' } }),
  ],
  [
    'a resolution assigning {"$ne": null} as a tenant',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, { action: 'assign', tenantIds: [{ $ne: null }] }),
  ],
  [
    'a resolution assigning 21 tenants',
    400,
    'INVALID_INPUT',
    () =>
      operator('POST', `/triage/${triageRequestId}/resolve`, {
        action: 'assign',
        tenantIds: Array.from({ length: 21 }, (_, i) => `t${i}`),
      }),
  ],
  [
    'a resolution assigning no tenant',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, { action: 'assign', tenantIds: [] }),
  ],
  [
    'a resolution as a JSON array',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, [{ action: 'reject-as-spam' }]),
  ],
  [
    'a resolution that is not JSON',
    400,
    'MALFORMED_JSON',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, '{"action": '),
  ],
  [
    'a resolution with a __proto__ key',
    400,
    'MALFORMED_JSON',
    () => operator('POST', `/triage/${triageRequestId}/resolve`, '{"action":"reject-as-spam","__proto__":{"x":1}}'),
  ],
  [
    'a resolution as text/plain',
    400,
    'INVALID_INPUT',
    () =>
      fetch(`${stack.relayUrl}/triage/${triageRequestId}/resolve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'text/plain' },
        body: 'reject-as-spam',
      }).then(answerOf),
  ],
  [
    'a resolution over the body limit',
    413,
    'BODY_TOO_LARGE',
    () =>
      operator('POST', `/triage/${triageRequestId}/resolve`, {
        action: 'assign',
        tenantIds: ['x'.repeat(1024 * 1024)],
      }),
  ],
  ['GET /v1/cases?requestId[$ne]=x', 400, 'UNKNOWN_FIELD', () => operator('GET', '/v1/cases?requestId[$ne]=x')],
  [
    'GET /v1/cases?requestId={"$ne":null}',
    400,
    'INVALID_INPUT',
    () => operator('GET', `/v1/cases?requestId=${encodeURIComponent('{"$ne":null}')}`),
  ],
  [
    'GET /v1/cases with requestId twice',
    400,
    'INVALID_INPUT',
    () => operator('GET', `/v1/cases?requestId=${a.requestId}&requestId=${b.requestId}`),
  ],
  ['GET /v1/cases with no requestId', 400, 'INVALID_INPUT', () => operator('GET', '/v1/cases')],
  [
    'GET /v1/cases/{"$ne":null}',
    400,
    'INVALID_INPUT',
    () => operator('GET', `/v1/cases/${encodeURIComponent('{"$ne":null}')}`),
  ],
  [
    'GET /v1/cases/ with a traversal',
    400,
    'INVALID_INPUT',
    () => operator('GET', `/v1/cases/${encodeURIComponent('../../etc/passwd')}`),
  ],
  [
    'GET /v1/cases/:id?evidence[$ne]=0',
    400,
    'UNKNOWN_FIELD',
    () => operator('GET', `/v1/cases/${a.caseId}?evidence[$ne]=0`),
  ],
  ['GET /v1/cases/:id?evidence=2', 400, 'INVALID_INPUT', () => operator('GET', `/v1/cases/${a.caseId}?evidence=2`)],
  ['GET /v1/cases/ of an unknown case', 404, 'CASE_NOT_FOUND', () => operator('GET', `/v1/cases/${randomUUID()}`)],
  [
    'a re-send with {"$gt": -1} as the contact',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/resend`, { contactIndex: { $gt: -1 } }),
  ],
  [
    'a re-send to contact -1',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/resend`, { contactIndex: -1 }),
  ],
  [
    'a re-send to contact "0" (a string)',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/resend`, { contactIndex: '0' }),
  ],
  [
    'a re-send to contact 1.5',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/resend`, { contactIndex: 1.5 }),
  ],
  [
    'a re-send with an unknown field',
    400,
    'UNKNOWN_FIELD',
    () => operator('POST', `/v1/cases/${a.caseId}/resend`, { contactIndex: 0, to: 'eve@evil.example' }),
  ],
  [
    'a re-send of an unknown case',
    404,
    'CASE_NOT_FOUND',
    () => operator('POST', `/v1/cases/${randomUUID()}/resend`, {}),
  ],
  [
    'a contact change to {"$ne": null}',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/0`, { email: { $ne: null } }),
  ],
  [
    'a contact change with a CR LF Bcc (header injection)',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/0`, { email: 'x@acme.example\r\nBcc: eve@evil.example' }),
  ],
  [
    'a contact change to two addresses',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/0`, { email: 'x@acme.example, eve@evil.example' }),
  ],
  [
    'a contact change with an unknown field',
    400,
    'UNKNOWN_FIELD',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/0`, { email: 'x@acme.example', role: 'admin' }),
  ],
  [
    'a contact change at index -1',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/-1`, { email: 'x@acme.example' }),
  ],
  [
    'a contact change at index "abc"',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/abc`, { email: 'x@acme.example' }),
  ],
  [
    'a contact change at index 99999',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/99999`, { email: 'x@acme.example' }),
  ],
  [
    'a contact change at a missing index',
    404,
    'CONTACT_NOT_FOUND',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/7`, { email: 'x@acme.example' }),
  ],
  [
    'a contact change as a JSON array',
    400,
    'INVALID_INPUT',
    () => operator('PUT', `/v1/cases/${a.caseId}/contacts/0`, ['x@acme.example']),
  ],
  [
    'an extension with {"$gt": ""} as its reason',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/extension`, { reason: { $gt: '' } }),
  ],
  [
    'an extension without a reason',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/extension`, {}),
  ],
  [
    'an extension with an empty reason',
    400,
    'INVALID_INPUT',
    () => operator('POST', `/v1/cases/${a.caseId}/extension`, { reason: '   ' }),
  ],
  [
    'an extension with an unknown field',
    400,
    'UNKNOWN_FIELD',
    () => operator('POST', `/v1/cases/${a.caseId}/extension`, { reason: 'busy', deadline: '2099-01-01' }),
  ],
  [
    'an extension of an unknown case',
    404,
    'CASE_NOT_FOUND',
    () => operator('POST', `/v1/cases/${randomUUID()}/extension`, { reason: 'busy' }),
  ],
  ['DELETE of a case', 404, 'NOT_FOUND', () => operator('DELETE', `/v1/cases/${a.caseId}`)],
];

// --- Kafka: what reaches the relay's consumers ----------------------------------------------------

/** The topics the relay consumes (intake's own consumers read request.received too). */
const CONSUMED = [
  EVENTS.requestReceivedV1,
  EVENTS.requestVerifiedV1,
  EVENTS.caseMatchedV1,
  EVENTS.mailEventV1,
  EVENTS.tenantDirectoryChangedV1,
  EVENTS.exportRequestedV1,
] as const;
/** A well-formed envelope of the contract's type whose payload carries a query operator as its id. */
const operatorPayload = (contract: { type: string; version: number }) => ({
  ...receivedRequestEvent(),
  type: contract.type,
  version: contract.version,
  payload: { requestId: { $ne: null }, caseId: { $gt: '' }, tenantId: { $ne: null } },
});
const kafkaRows: Array<[what: string, errorCode: string, contract: (typeof CONSUMED)[number], value: () => string]> =
  CONSUMED.flatMap((contract) => [
    [`bytes that are not JSON on ${contract.topic}`, 'MALFORMED_JSON', contract, () => '{"id": '] as const,
    [`a JSON array on ${contract.topic}`, 'EVENT_INVALID', contract, () => '[]'] as const,
    [
      `an envelope of another event on ${contract.topic}`,
      'EVENT_INVALID',
      contract,
      () => JSON.stringify({ ...receivedRequestEvent(), type: 'privacy.case.hijacked', version: 1 }),
    ] as const,
    [
      `a payload with query operators as ids on ${contract.topic}`,
      'EVENT_INVALID',
      contract,
      () => JSON.stringify(operatorPayload(contract)),
    ] as const,
  ]);

describe('Hostile input at the relay: the admin action links and the operator API', () => {
  let before: Record<string, number>;

  beforeAll(async () => {
    await stack.start();
    [a, b, control] = await Promise.all([stack.forwardedCase(), stack.forwardedCase(), stack.forwardedCase()]);
    controlPageToken = await pageToken(control.links.done, 'acknowledge');
    // A request naming no tenant: the matcher puts it in the triage queue.
    triageRequestId = await publishVerifiedRequest(stack.publisher, {
      company: { name: `Nobody ${stack.unique} GmbH` },
    });
    await eventually(async () => {
      const found = await stack.relayDb.collection('match_decisions').findOne({ _id: triageRequestId as never });
      return found ?? undefined;
    });
    before = Object.fromEntries(
      await Promise.all(
        [a, b].map(async (c) => [c.caseId, (await stack.storedCase(c.caseId))?.version ?? -1] as const),
      ),
    );
  });
  afterAll(() => stack.stop());

  describe(`The admin action links: ${linkRows.length} inputs`, () => runTable('an admin link', linkRows));
  describe(`The operator API: ${operatorRows.length} inputs`, () => runTable('the operator API', operatorRows));

  it('When every hostile input has been answered, then the two cases and the triage decision are as they were and only the control’s acknowledgement was published', async () => {
    for (const c of [a, b]) {
      const stored = await stack.storedCase(c.caseId);
      expect(stored?.data.state).toBe('forwarded');
      expect(stored?.version).toBe(before[c.caseId]);
    }
    expect((await stack.storedCase(control.caseId))?.data.state).toBe('acknowledged');
    const decision = (await stack.relayDb.collection('match_decisions').findOne({ _id: triageRequestId as never })) as {
      decision: string;
      decidedBy: string;
    } | null;
    expect(decision).toMatchObject({ decision: 'triage' });
    expect(decision).not.toHaveProperty('resolution');
    const caseIdsOf = async (contract: { topic: string }) =>
      (await stack.messagesOn(contract)).map(
        (m) => (JSON.parse(m.value) as { payload: { caseId: string } }).payload.caseId,
      );
    // The control's acknowledgement may reach Kafka through the outbox a moment after its answer.
    await eventually(async () => ((await caseIdsOf(EVENTS.caseAcknowledgedV1)).length > 0 ? true : undefined));
    expect(await caseIdsOf(EVENTS.caseAcknowledgedV1)).toEqual([control.caseId]);
    expect(await caseIdsOf(EVENTS.caseClosedV1)).toEqual([]);
    expect(await caseIdsOf(EVENTS.caseExtendedV1)).toEqual([]);
    expect(await stack.messagesOn(EVENTS.caseMatchedV1)).toHaveLength(3);
  });

  describe(`Kafka: ${kafkaRows.length} malformed events on the relay's topics`, () => {
    /** Where each row's message landed: its topic, partition and offset. */
    const sent: Array<{ topic: string; partition: number; offset: string }> = [];
    let deadLetters: Array<Record<string, string>>;

    beforeAll(async () => {
      const producer = stack.kafka.producer();
      await producer.connect();
      try {
        for (const [, , contract, value] of kafkaRows) {
          const topic = topicName(contract, stack.ns.topicPrefix);
          const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: 'hostile', value: value() }] });
          sent.push({ topic, partition: meta?.partition ?? -1, offset: meta?.baseOffset ?? '' });
        }
      } finally {
        await producer.disconnect();
      }
      // Every row dead-lettered by the relay's consumer of its topic (intake's may add its own):
      // one reader on the six dead-letter topics, until it has as many as rows.
      deadLetters = [];
      const reader = stack.kafka.consumer({ groupId: `${stack.ns.groupId}-dead-letter-reader` });
      await reader.connect();
      try {
        await reader.subscribe({
          topics: CONSUMED.map((contract) => deadLetterTopicName(topicName(contract, stack.ns.topicPrefix))),
          fromBeginning: true,
        });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${deadLetters.length} dead letters after 60 s`)), 60_000);
          void reader.run({
            eachMessage: async ({ message }) => {
              const headers = Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
              );
              if ((headers[DEAD_LETTER_HEADERS.consumerGroup] ?? '').includes('-intake')) return;
              deadLetters.push(headers);
              if (deadLetters.length >= kafkaRows.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await reader.disconnect();
      }
    });

    it.each(kafkaRows.map((row, i) => [row[0], row[1], i] as const))(
      'When the relay consumes %s, then it is dead-lettered with the reason and error code %s',
      (_what, errorCode, i) => {
        const where = sent[i];
        const letters = deadLetters.filter(
          (h) =>
            h[DEAD_LETTER_HEADERS.originalTopic] === where?.topic &&
            h[DEAD_LETTER_HEADERS.originalPartition] === String(where?.partition) &&
            h[DEAD_LETTER_HEADERS.originalOffset] === where?.offset,
        );
        expect(letters).toHaveLength(1);
        expect(letters[0]?.[DEAD_LETTER_HEADERS.errorCode]).toBe(errorCode);
        expect(letters[0]?.[DEAD_LETTER_HEADERS.reason]?.length).toBeGreaterThan(0);
      },
    );

    it(`When the relay has dead-lettered all ${kafkaRows.length} events, then both services answer /healthz and the cases are as they were`, async () => {
      expect(await stack.healthy()).toBe(true);
      for (const c of [a, b]) expect((await stack.storedCase(c.caseId))?.version).toBe(before[c.caseId]);
    });
  });
});
