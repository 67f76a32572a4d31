import { randomBytes } from 'node:crypto';
import { loadConfig } from '@privacy-relay/shared/config';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import { KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { relayConfigSpec } from '@privacy-relay/relay/config';
import { createRelayService, type RelayService } from '@privacy-relay/relay/relay-service';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { publishVerifiedRequest } from '../../../../test/support/fixtures';
import {
  connectTestDatabase,
  createTestTopics,
  discardTestDatabase,
  eventually,
  readTopic,
  testKafka,
  testLogger,
  testNamespace,
} from '../../../../test/support/test-env';
import { DEV_CONSOLE_USERS, DEV_OPERATOR_TOKEN, relayTestEnv } from '../../../../test/support/relay-env';

const SESSION_TTL_MINUTES = 30;
const SIGN_IN_LIMIT = 40;

/** A browser's part, by hand: cookies kept between requests, forms posted urlencoded, redirects not followed. */
class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly base: () => string) {}

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[] | undefined>) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form ?? {})) {
      for (const one of value === undefined ? [] : Array.isArray(value) ? value : [value]) body.append(name, one);
    }
    const response = await fetch(`${this.base()}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: body.toString() } : {}),
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

  /** Signs in through the form (its token first); the answer of the POST. */
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

describe('Operator console: never anonymous, sessions that end, CSRF on every form, viewers only read', () => {
  const ns = testNamespace('console');
  const logLines: string[] = [];
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const env = relayTestEnv(ns, {
    RELAY_CONSOLE_SESSION_TTL_MINUTES: String(SESSION_TTL_MINUTES),
    RELAY_CONSOLE_SIGN_IN_LIMIT: String(SIGN_IN_LIMIT),
  });
  const logger = testLogger('console-test');
  let kafka: Kafka;
  let relay: RelayService;
  let publisher: KafkaEventPublisher;
  let connection: Connection;
  const triaged: string[] = [];
  const base = () => `http://127.0.0.1:${relay.port}`;
  const client = () => new ConsoleClient(base);

  /** The triage decision as the operator API shows it (whether anyone resolved it). */
  const decisionOf = async (requestId: string) =>
    (await (
      await fetch(`${base()}/triage/${requestId}`, { headers: { authorization: `Bearer ${DEV_OPERATOR_TOKEN}` } })
    ).json()) as { decidedBy: string; resolution?: unknown };

  beforeAll(async () => {
    kafka = testKafka();
    await createTestTopics(kafka, ns.topicPrefix);
    publisher = new KafkaEventPublisher(kafka, { topicPrefix: ns.topicPrefix, logger });
    await publisher.connect();
    connection = await connectTestDatabase(ns.dbName, logger);
    const relayLogger = createLogger({
      name: 'relay',
      level: 'debug',
      destination: { write: (line: string) => void logLines.push(line) },
    });
    relay = createRelayService(loadConfig(relayConfigSpec, env), relayLogger, clock);
    await relay.start();
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId: 'tenant-console',
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: { legalName: 'Console Widgets Limited', aliases: [], domains: [] },
        },
        { correlationId: 'tenant-console' },
      ),
    );
    await eventually(
      async () => (relay.tenantIndex.has('tenant-console') ? true : undefined),
      30_000,
      'the directory in the index',
    );
    triaged.push(
      ...(await Promise.all(
        Array.from({ length: 2 }, () =>
          publishVerifiedRequest(publisher, {
            company: { name: 'Contoso Pharmaceuticals AG' },
            requester: { name: 'Ada Example', email: 'someone@gmail.com' },
          }),
        ),
      )),
    );
    const triageTopic = topicName(EVENTS.caseTriageV1, ns.topicPrefix);
    await eventually(
      async () => {
        const keys = new Set((await readTopic(kafka, triageTopic, { timeoutMs: 1_000 })).map((m) => m.key));
        return triaged.every((id) => keys.has(id)) ? true : undefined;
      },
      30_000,
      'both requests in triage',
    );
  });

  afterAll(async () => {
    await relay?.stop();
    await publisher?.disconnect();
    await discardTestDatabase(connection);
  });

  it('When the console is opened without signing in, then its pages redirect to sign-in, its forms get 401, and nothing changes', async () => {
    const anonymous = client();
    for (const path of ['/console', '/console/triage', '/console/cases', `/console/cases/${triaged[0]}`]) {
      const page = await anonymous.send('GET', path);
      expect({ path, status: page.status, location: page.location }).toEqual({
        path,
        status: 303,
        location: '/console/sign-in',
      });
      expect(page.html).not.toContain(triaged[0]);
    }
    const post = await anonymous.send('POST', `/console/triage/${triaged[0]}/resolve`, {
      action: 'reject-as-spam',
      _csrf: 'anything',
    });
    expect(post.status).toBe(401);
    expect((await decisionOf(triaged[0]!)).resolution).toBeUndefined();
    const signIn = await anonymous.send('GET', '/console/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.html).toContain('Sign in to the operator console');
  });

  it('When a session cookie is forged (a random token, or a real one with its signature changed), then the console redirects to sign-in', async () => {
    const forger = client();
    forger.cookies.set(
      'relay_console',
      `${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    );
    expect((await forger.send('GET', '/console/triage')).location).toBe('/console/sign-in');

    const operator = client();
    expect((await operator.signIn(DEV_CONSOLE_USERS.operator)).location).toBe('/console/triage');
    const real = operator.cookies.get('relay_console')!;
    expect((await operator.send('GET', '/console/triage')).status).toBe(200);
    const tampered = client();
    // The token kept, its signature changed: the signature must cover the token.
    const [token] = decodeURIComponent(real).split('.');
    tampered.cookies.set('relay_console', `${token}.${randomBytes(32).toString('base64url').slice(0, 43)}`);
    const refused = await tampered.send('GET', '/console/triage');
    expect({ status: refused.status, location: refused.location }).toEqual({
      status: 303,
      location: '/console/sign-in',
    });
    // A signed value that is not a session (another cookie's, e.g. the sign-in form's) opens nothing either.
    const signInCookie = client();
    await signInCookie.send('GET', '/console/sign-in');
    signInCookie.cookies.set('relay_console', signInCookie.cookies.get('relay_console_sign_in')!);
    expect((await signInCookie.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When a session is older than RELAY_CONSOLE_SESSION_TTL_MINUTES, then it opens nothing, even once the clock is back', async () => {
    const operator = client();
    await operator.signIn(DEV_CONSOLE_USERS.operator);
    expect((await operator.send('GET', '/console/triage')).status).toBe(200);
    offsetMs = (SESSION_TTL_MINUTES + 1) * 60_000;
    try {
      const expired = await operator.send('GET', '/console/triage');
      expect({ status: expired.status, location: expired.location }).toEqual({
        status: 303,
        location: '/console/sign-in',
      });
    } finally {
      offsetMs = 0;
    }
    expect((await operator.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When a wrong password is given, then the form comes back with the error and no session', async () => {
    const someone = client();
    const failed = await someone.signIn({
      username: DEV_CONSOLE_USERS.operator.username,
      password: 'not-the-password',
    });
    expect(failed.status).toBe(401);
    expect(failed.html).toContain('The username or the password is not right');
    expect(someone.cookies.has('relay_console')).toBe(false);
    const unknown = await someone.signIn({ username: 'nobody-here', password: DEV_CONSOLE_USERS.operator.password });
    expect(unknown.status).toBe(401);
    expect((await someone.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When a console form is posted without its CSRF token (or with another session’s), then it is refused with 403 and nothing changes', async () => {
    const operator = client();
    await operator.signIn(DEV_CONSOLE_USERS.operator);
    const other = client();
    await other.signIn(DEV_CONSOLE_USERS.operator);
    const othersToken = csrfIn((await other.send('GET', '/console/triage')).html);
    const requestId = triaged[0]!;
    for (const csrf of [undefined, '', othersToken]) {
      const post = await operator.send('POST', `/console/triage/${requestId}/resolve`, {
        action: 'reject-as-spam',
        _csrf: csrf,
      });
      expect({ csrf, status: post.status }).toEqual({ csrf, status: 403 });
    }
    expect((await decisionOf(requestId)).resolution).toBeUndefined();
    // Sign-out is a form too: without its token the session stays.
    expect((await operator.send('POST', '/console/sign-out', {})).status).toBe(403);
    expect((await operator.send('GET', '/console/triage')).status).toBe(200);
    // The sign-in form: without the token bound to its cookie, no session.
    const stranger = client();
    const signIn = await stranger.send('POST', '/console/sign-in', {
      ...DEV_CONSOLE_USERS.operator,
      _csrf: othersToken,
    });
    expect(signIn.status).toBe(403);
    expect(stranger.cookies.has('relay_console')).toBe(false);
    // With its token, the same form acts.
    const triagePage = await operator.send('GET', '/console/triage');
    const resolved = await operator.send('POST', `/console/triage/${requestId}/resolve`, {
      action: 'reject-as-spam',
      _csrf: csrfIn(triagePage.html),
    });
    expect({ status: resolved.status, location: resolved.location }).toEqual({
      status: 303,
      location: '/console/triage?done=rejected',
    });
    expect((await decisionOf(requestId)).resolution).toEqual({ action: 'reject-as-spam', operatorId: 'dev-operator' });
  });

  it('When a viewer posts an operator’s form (with a valid CSRF token), then it is refused with 403 and nothing changes', async () => {
    const viewer = client();
    expect((await viewer.signIn(DEV_CONSOLE_USERS.viewer)).location).toBe('/console/triage');
    const page = await viewer.send('GET', '/console/triage');
    expect(page.status).toBe(200);
    const requestId = triaged[1]!;
    expect(page.html).toContain(requestId);
    // The viewer's pages offer no action.
    expect(page.html).not.toContain('/resolve"');
    const csrf = csrfIn(page.html);
    const post = await viewer.send('POST', `/console/triage/${requestId}/resolve`, {
      action: 'assign',
      tenantId: 'tenant-console',
      _csrf: csrf,
    });
    expect(post.status).toBe(403);
    expect(post.html).toContain('Your role (viewer) can read the console but not act');
    expect((await decisionOf(requestId)).resolution).toBeUndefined();
    for (const path of ['resend', 'extension', 'contacts/0']) {
      const action = await viewer.send('POST', `/console/cases/${triaged[0]}/${path}`, {
        _csrf: csrf,
        reason: 'complex',
        email: 'x@example.com',
      });
      expect({ path, status: action.status }).toEqual({ path, status: 403 });
    }
    // A viewer signs out like anyone.
    expect((await viewer.send('POST', '/console/sign-out', { _csrf: csrf })).location).toBe(
      '/console/sign-in?done=signed-out',
    );
  });

  it('When an operator signs out, then the session cookie they had opens nothing any more', async () => {
    const operator = client();
    await operator.signIn(DEV_CONSOLE_USERS.operator);
    const stolen = operator.cookies.get('relay_console')!;
    const page = await operator.send('GET', '/console/triage');
    expect(page.status).toBe(200);
    const signedOut = await operator.send('POST', '/console/sign-out', { _csrf: csrfIn(page.html) });
    expect(signedOut.location).toBe('/console/sign-in?done=signed-out');
    expect(operator.cookies.has('relay_console')).toBe(false);
    const thief = client();
    thief.cookies.set('relay_console', stolen);
    expect((await thief.send('GET', '/console/triage')).location).toBe('/console/sign-in');
  });

  it('When the session cookie is set, then it is HTTP-only, SameSite=Strict, signed, and the console pages are not cached or framed', async () => {
    const operator = client();
    const signedIn = await operator.signIn(DEV_CONSOLE_USERS.operator);
    const cookie = signedIn.setCookies.find((line) => line.startsWith('relay_console='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    // http://127.0.0.1 (the tests' public URL) is the development case: no Secure flag there.
    expect(cookie).not.toMatch(/Secure/);
    const page = await fetch(`${base()}/console/sign-in`);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('When sign-in is tried too often from one address, then it gets 429, even with the right password', async () => {
    const guesser = client();
    const token = csrfIn((await guesser.send('GET', '/console/sign-in')).html);
    let status = 0;
    // Earlier tests signed in from this address too; at most SIGN_IN_LIMIT attempts reach the limit.
    for (let attempt = 0; attempt <= SIGN_IN_LIMIT && status !== 429; attempt++) {
      status = (await guesser.send('POST', '/console/sign-in', { _csrf: 'wrong', username: 'x', password: 'y' }))
        .status;
    }
    expect(status).toBe(429);
    const right = await guesser.send('POST', '/console/sign-in', { _csrf: token, ...DEV_CONSOLE_USERS.operator });
    expect(right.status).toBe(429);
    expect(guesser.cookies.has('relay_console')).toBe(false);
  });

  it('When the console was used, then its log lines hold no cookie, token or password', () => {
    const log = logLines.join('\n');
    expect(log).toContain('console sign-in');
    expect(log).toContain('console session refused');
    expect(log).not.toMatch(/relay_console=/);
    expect(log).not.toContain(DEV_CONSOLE_USERS.operator.password);
    expect(log).not.toContain(DEV_CONSOLE_USERS.viewer.password);
    expect(log).not.toMatch(/cookie/i);
    expect(log).not.toContain('_csrf');
  });
});
