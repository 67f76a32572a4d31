import { randomUUID } from 'node:crypto';
import { loadConfig } from '@privacy-relay/shared/config';
import { createLogger } from '@privacy-relay/shared/logger';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Connection } from 'mongoose';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { DEV_CONSOLE_USERS, relayTestEnv } from '../../../../test/support/relay-env';

/** The production cookie names: the relay below has an https public URL, as in production. */
const SESSION = '__Host-relay_console';
const SIGN_IN = '__Host-relay_console_sign_in';

/** A browser's part, by hand: cookies kept between requests, forms posted urlencoded, redirects not followed. */
class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly base: () => string) {}

  async send(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string | undefined>,
    raw?: { contentType: string; body: string },
  ) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form ?? {})) if (value !== undefined) body.append(name, value);
    const contentType = raw?.contentType ?? (form ? 'application/x-www-form-urlencoded' : undefined);
    const response = await fetch(`${this.base()}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {}),
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      ...(raw ? { body: raw.body } : form ? { body: body.toString() } : {}),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      html: await response.text(),
      setCookies,
    };
  }

  async signIn(user: { username: string; password: string }) {
    const form = await this.send('GET', '/console/sign-in');
    return this.send('POST', '/console/sign-in', { _csrf: csrfIn(form.html), ...user });
  }
}

function csrfIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field in the page');
  return token;
}

/**
 * The operator console under attack (issue 17's review): session rotation at sign-in, bodies that
 * are not the console's forms, production cookie names and flags. A relay of its own with an https
 * public URL, so its cookies are the production ones (`__Host-`, `Secure`).
 */
describe('Operator console under attack: sessions at sign-in, bodies, production cookies', () => {
  const ns = testNamespace('consoleatk');
  const logLines: string[] = [];
  const env = relayTestEnv(ns, { RELAY_PUBLIC_URL: 'https://relay.example', RELAY_CONSOLE_SIGN_IN_LIMIT: '50' });
  const logger = testLogger('console-attacks-test');
  let relay: RelayService;
  let connection: Connection;
  const base = () => `http://127.0.0.1:${relay.port}`;
  const client = () => new ConsoleClient(base);

  beforeAll(async () => {
    await createTestTopics(testKafka(), ns.topicPrefix);
    connection = await connectTestDatabase(ns.dbName, logger);
    const relayLogger = createLogger({
      name: 'relay',
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    relay = createRelayService(loadConfig(relayConfigSpec, env), relayLogger);
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await discardTestDatabase(connection);
  });

  it('When the public URL is https, then both console cookies are __Host- prefixed, Secure, HTTP-only, SameSite=Strict, with no Domain', async () => {
    const operator = client();
    const form = await operator.send('GET', '/console/sign-in');
    const signedIn = await operator.send('POST', '/console/sign-in', {
      _csrf: csrfIn(form.html),
      ...DEV_CONSOLE_USERS.operator,
    });
    expect(signedIn.location).toBe('/console/triage');
    const lines = [...form.setCookies, ...signedIn.setCookies].filter(
      (line) => !/expires=Thu, 01 Jan 1970/i.test(line),
    );
    expect(lines.map((line) => line.split('=')[0]).sort()).toEqual([SESSION, SIGN_IN].sort());
    for (const line of lines) {
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; SameSite=Strict/);
      expect(line).toMatch(/; Path=\//);
      expect(line).not.toMatch(/Domain=/i);
    }
    // A cookie without the prefix (tossed from a sibling host, which cannot set __Host-) opens nothing.
    const tossed = client();
    tossed.cookies.set('relay_console', operator.cookies.get(SESSION)!);
    expect((await tossed.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When someone signs in with a session cookie already in the browser (planted or their own), then they get a new session and the old one opens nothing', async () => {
    // The attacker's own session, planted in the victim's browser (session fixation)…
    const attacker = client();
    await attacker.signIn(DEV_CONSOLE_USERS.viewer);
    const planted = attacker.cookies.get(SESSION)!;
    const victim = client();
    victim.cookies.set(SESSION, planted);
    const signedIn = await victim.signIn(DEV_CONSOLE_USERS.operator);
    expect(signedIn.location).toBe('/console/triage');
    // …is replaced at sign-in: the victim's session is not the attacker's.
    expect(victim.cookies.get(SESSION)).not.toBe(planted);
    expect((await victim.send('GET', '/console/triage')).html).toContain('Signed in as <strong>dev-operator</strong>');
    // And the session the browser carried into the sign-in ends there: one browser, one session.
    const stale = client();
    stale.cookies.set(SESSION, planted);
    expect((await stale.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When a console form is posted as JSON (even with its CSRF token), then it is refused with 415, not a crash, and nothing is read from it', async () => {
    const operator = client();
    await operator.signIn(DEV_CONSOLE_USERS.operator);
    const csrf = csrfIn((await operator.send('GET', '/console/triage')).html);
    const json = await operator.send('POST', `/console/triage/${randomUUID()}/resolve`, undefined, {
      contentType: 'application/json',
      body: JSON.stringify({ _csrf: csrf, action: 'assign', tenantId: [1], otherTenantId: { x: 1 } }),
    });
    expect(json.status).toBe(415);
    expect(json.html).toContain('<h1>Something went wrong');
    expect(logLines.join('\n')).not.toContain('console request failed');
    // The same form, urlencoded, is read (and refused for a reason of its own: no such request).
    const form = await operator.send('POST', `/console/triage/${randomUUID()}/resolve`, {
      _csrf: csrf,
      action: 'assign',
      tenantId: 'tenant-x',
    });
    expect(form.status).toBe(404);
  });
});
