import Fastify, { type FastifyInstance } from 'fastify';
import { CaseLinks, PAGE_FORM_TOKEN_TTL_MS, type CaseLinkAction } from '../../application/case-links';
import type { CaseRepository, RelayRequestRepository, TenantDirectoryRepository } from '../../application/ports';
import {
  changeContactAddress,
  openCase,
  recordSendIntent,
  recordSent,
  type ForwardingCase,
  type TransitionResult,
} from '../../domain/case';
import type { RelayRequest } from '../../domain/relay-request';
import { registerAdminLinkRoutes } from './admin-link-routes';

const SECRET = 'unit-test-relay-link-secret-0123456789abcdef';
const caseId = '0193a1c2-7d4e-4a10-9b7c-0000000000c1';
const start = new Date('2026-03-02T09:00:00Z');
const HOUR = 3_600_000;
const contact0 = { kind: 'contact', contactIndex: 0, email: 'privacy@acme.example' } as const;

const ok = (result: TransitionResult): ForwardingCase => {
  if (!result.ok) throw new Error(`transition refused: ${result.reason}`);
  return result.case;
};

/** A case forwarded to its one privacy contact on `start`. */
function forwardedCase(): ForwardingCase {
  const opened = openCase({
    caseId,
    requestId: '0193a1c2-7d4e-4a10-9b7c-0000000000a1',
    tenantId: 'acme',
    regime: 'uk-gdpr',
    jurisdiction: 'GB-ENG',
    receivedOn: '2026-03-02',
    deadline: '2026-04-02',
    extendedDeadline: '2026-06-02',
    contacts: [{ email: 'privacy@acme.example', role: 'privacy' }],
    at: start,
    by: { kind: 'matcher' },
  });
  return ok(recordSent(ok(recordSendIntent(opened, 0, start)), 0, 'ses-1', start));
}

const request: RelayRequest = {
  requestId: '0193a1c2-7d4e-4a10-9b7c-0000000000a1',
  reference: 'PR-0193A1C2',
  channel: 'api',
  receivedAt: start,
  requester: { name: 'Ada Example', email: 'ada@example.org' },
  rights: ['access'],
  text: 'Please send me my data.',
  status: 'verified',
  sourceEventId: 'e',
};

/** The routes on a random port, over one stored case that never changes, with a clock the test moves. */
async function linkRoutes(publicUrl: string, ttlMs: number) {
  const links = new CaseLinks(SECRET, publicUrl, ttlMs);
  const clock = { at: start, now: () => clock.at };
  const app: FastifyInstance = Fastify();
  const stored = { case: forwardedCase(), version: 3 };
  await app.register(async (scope) =>
    registerAdminLinkRoutes(scope, {
      cases: { find: async (id: string) => (id === caseId ? stored : undefined) } as unknown as CaseRepository,
      requests: { findById: async () => request } as unknown as RelayRequestRepository,
      publisher: { publish: async () => {} },
      directory: { findTenant: async () => undefined } as unknown as TenantDirectoryRepository,
      clock,
      links,
    }),
  );
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base, links, clock };
}

/** The forms of a page: where each posts (undefined: back to the page's URL) and its button. */
function formsOf(html: string): { action: string | undefined; button: string }[] {
  return [
    ...html.matchAll(/<form method="post"(?: action="([^"]*)")?>[\s\S]*?<button type="submit"[^>]*>([^<]*)<\/button>/g),
  ].map((m) => ({ action: m[1]?.replace(/&amp;/g, '&'), button: m[2]! }));
}

/** The expiry (seconds) a token carries: `<purpose>.<subject>.<expiresAt base36>.<mac>`. */
const expiryOf = (url: string) => parseInt(url.split('/').at(-1)!.split('.')[2]!, 36);

describe('the admin-link page', () => {
  it('When RELAY_PUBLIC_URL has a path (behind a proxy), then each form posts to a link of the same case under that path, the opened link’s own back to itself', async () => {
    const publicUrl = 'https://example.org/privacy-relay';
    const { app, base, links } = await linkRoutes(publicUrl, 86_400_000);
    for (const action of ['acknowledge', 'done', 'not-ours', 'extend'] as const) {
      const link = links.linkFor(caseId, action, start, contact0);
      // The proxy strips the public prefix before the relay sees the request.
      const response = await fetch(`${base}${link.slice(publicUrl.length)}`);
      expect(response.status).toBe(200);
      const forms = formsOf(await response.text());
      expect(forms).toHaveLength(4);
      // Where the browser posts each form: its action resolved against the page's own (public) URL.
      const targets = forms.map((form) => (form.action === undefined ? link : new URL(form.action, link).href));
      expect([action, targets[0]]).toEqual([action, link]);
      for (const target of targets.slice(1)) {
        expect(target).toMatch(
          new RegExp(`^${publicUrl}/case-links/${caseId}/(acknowledge|done|not-ours|extend)/[^/]+$`),
        );
      }
    }
    await app.close();
  });

  it('When a page is opened, then its forms’ tokens are valid for their own action, expire within two hours, and never outlive the link that opened the page (opening a page with them mints nothing longer)', async () => {
    const publicUrl = 'https://relay.example';
    // A link with three hours left, opened now; then the page it shows, opened again through its own form tokens.
    const { app, base, links, clock } = await linkRoutes(publicUrl, 3 * HOUR);
    const local = (url: string) => url.replace(publicUrl, base);
    const link = links.linkFor(caseId, 'acknowledge', start, contact0);
    const linkExpiry = expiryOf(link);
    const targetsOf = async (url: string) =>
      formsOf(await (await fetch(local(url))).text())
        .filter((form) => form.action !== undefined)
        .map((form) => new URL(form.action!, url).href);

    const first = await targetsOf(link);
    expect(first).toHaveLength(3);
    for (const target of first) {
      expect(expiryOf(target)).toBe(Math.floor((start.getTime() + PAGE_FORM_TOKEN_TTL_MS) / 1000));
      const action = /case-links\/[^/]+\/([a-z-]+)\//.exec(target)![1] as CaseLinkAction;
      expect((await links.check(forwardedCase(), action, target.split('/').at(-1)!, start, async () => [])).ok).toBe(
        true,
      );
    }
    // 1 h 50 min later, a page opened through a form token: its tokens end with that token, not 2 h later.
    clock.at = new Date(start.getTime() + 110 * 60_000);
    const chained = await targetsOf(first[0]!);
    expect(chained.map(expiryOf)).toEqual(first.map(expiryOf));
    expect(Math.max(...chained.map(expiryOf))).toBeLessThanOrEqual(linkExpiry);
    // Past the mail link's expiry, every token the pages minted is refused.
    clock.at = new Date((linkExpiry + 1) * 1000);
    for (const target of [...first, ...chained]) {
      const response = await fetch(local(target), { method: 'POST' });
      expect([target, response.status]).toEqual([target, 403]);
    }
    await app.close();
  });
});

describe('an admin link racing the replacement of its contact', () => {
  it('When the contact is replaced between the link’s check and the action’s write, then the action is refused ("no longer works") and nothing is written', async () => {
    const publicUrl = 'https://relay.example';
    const links = new CaseLinks(SECRET, publicUrl, 86_400_000);
    const original = { case: forwardedCase(), version: 3 };
    const replaced = changeContactAddress(original.case, 0, 'new@acme.example', start, 'op');
    if (!replaced.ok) throw new Error('not replaced');
    // The first read (the link's check) sees the case before the operator's change, every later one after.
    let reads = 0;
    const writes: number[] = [];
    const cases = {
      find: async (id: string) => {
        if (id !== caseId) return undefined;
        reads += 1;
        return reads === 1 ? original : { case: replaced.case, version: 4 };
      },
      update: async (_next: ForwardingCase, expectedVersion: number) => {
        writes.push(expectedVersion);
        return [];
      },
      markPublished: async () => {},
    } as unknown as CaseRepository;
    const app: FastifyInstance = Fastify();
    await app.register(async (scope) =>
      registerAdminLinkRoutes(scope, {
        cases,
        requests: { findById: async () => request } as unknown as RelayRequestRepository,
        directory: { findTenant: async () => undefined } as unknown as TenantDirectoryRepository,
        publisher: { publish: async () => {} },
        clock: { now: () => start },
        links,
      }),
    );
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    for (const action of ['done', 'extend'] as const) {
      reads = 0;
      const link = links.linkFor(caseId, action, start, contact0);
      const response = await fetch(`${base}${link.slice(publicUrl.length)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'reason=More+time',
      });
      expect([action, response.status]).toEqual([action, 403]);
      expect(await response.text()).toContain('This link no longer works');
    }
    expect(writes).toEqual([]);
    await app.close();
  });
});
