import Fastify from 'fastify';
import { CaseLinks } from '../../application/case-links';
import type { CaseRepository, RelayRequestRepository } from '../../application/ports';
import { registerAdminLinkRoutes } from './admin-link-routes';

const SECRET = 'unit-test-relay-link-secret-0123456789abcdef';
const caseId = '0193a1c2-7d4e-4a10-9b7c-0000000000c1';
const now = new Date('2026-03-02T09:00:00Z');

describe('the admin-link page', () => {
  it('When RELAY_PUBLIC_URL has a path (behind a proxy), then the page posts back to the link it was opened from, not a path under the host root', async () => {
    const publicUrl = 'https://example.org/privacy-relay';
    const links = new CaseLinks(SECRET, publicUrl, 86_400_000);
    const app = Fastify();
    const cases = { find: async () => undefined } as unknown as CaseRepository;
    await app.register(async (scope) =>
      registerAdminLinkRoutes(scope, {
        cases,
        requests: { findById: async () => undefined } as unknown as RelayRequestRepository,
        publisher: { publish: async () => {} },
        clock: { now: () => now },
        links,
      }),
    );
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    for (const action of ['acknowledge', 'done', 'not-ours'] as const) {
      const link = links.linkFor(caseId, action, now);
      // The proxy strips the public prefix before the relay sees the request.
      const response = await fetch(`${base}${link.slice(publicUrl.length)}`);
      expect(response.status).toBe(200);
      const action_ = /<form method="post"(?: action="([^"]*)")?>/.exec(await response.text());
      expect(action_).not.toBeNull();
      // Where the browser posts the form: the action resolved against the page's own (public) URL.
      const target = action_![1] === undefined ? link : new URL(action_![1].replace(/&amp;/g, '&'), link).href;
      expect([action, target]).toEqual([action, link]);
    }
    await app.close();
  });
});
