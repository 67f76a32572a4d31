import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserAvailability,
  checkPage,
  launchChromium,
  newContext,
  type PageCheck,
  type ViewportName,
} from './support/browser';
import { PeopleStack } from './support/people-stack';
import { DEV_CONSOLE_USERS } from '../support/relay-env';
import { eventually } from '../support/test-env';

const availability = browserAvailability();
if (!availability.available) process.stdout.write(`\n${availability.reason}\n`);
const describeInBrowser = availability.available ? describe : describe.skip;
const WIDTHS: ViewportName[] = ['phone', 'desktop'];

/**
 * The operator console in Debian's Chromium, JavaScript off, at phone and desktop width, against
 * the relay (and intake) on the real Kafka, database and SES endpoint: sign in, resolve a triage
 * case, open the case's audit trail, sign out — and the cookie held before signing out opens
 * nothing. Every console page visited is screenshotted and held to axe-core (no serious or
 * critical violation), the viewport's width and the site stylesheet.
 */
describeInBrowser('The operator console in a browser: sign in, triage, a case’s audit trail, sign out', () => {
  let stack: PeopleStack;
  let browser: Browser;
  let auditor: BrowserContext;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([PeopleStack.start('console-browser'), launchChromium()]);
    auditor = await browser.newContext();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function expectGoodPage(page: Page, name: string): Promise<void> {
    const check = await checkPage(page, name, auditor);
    expect({ page: name, ...check }).toEqual<PageCheck & { page: string }>({
      page: name,
      seriousViolations: [],
      overflowing: [],
      styled: true,
    });
  }

  const heading = (page: Page) => page.locator('h1').innerText();
  const mainText = (page: Page) => page.locator('main').innerText();

  it.each(WIDTHS)(
    'When an operator signs in at %s width, assigns a request in triage and opens its case, then the audit trail names them; after sign-out the old cookie opens nothing',
    async (width) => {
      // A request naming a company nobody in the directory resembles: the matcher leaves it in triage.
      const requestId = await stack.publishVerifiedRequest({
        company: { name: 'Contoso Pharmaceuticals AG' },
        requester: { name: 'Ada Example', email: `ada-console-${width}@gmail.com` },
      });
      const context = await newContext(browser, width);
      const page = await context.newPage();

      // 1. Never anonymous: the console leads to sign-in.
      await page.goto(`${stack.relayUrl}/console/triage`);
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      expect(await heading(page)).toBe('Sign in to the operator console');
      await expectGoodPage(page, 'console-sign-in');

      // 2. A wrong password: the error, the username kept, no session.
      await page.getByLabel('Username').fill(DEV_CONSOLE_USERS.operator.username);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await mainText(page)).toContain('The username or the password is not right');
      expect(await page.getByLabel('Username').getAttribute('aria-invalid')).toBe('true');
      await expectGoodPage(page, 'console-sign-in-failed');

      // 3. Signed in: the triage queue, with the request once the matcher has put it there.
      await page.getByLabel('Password').fill(DEV_CONSOLE_USERS.operator.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(new URL(page.url()).pathname).toBe('/console/triage');
      expect(await heading(page)).toBe('Triage queue');
      const section = page.locator('section', { has: page.locator('h2', { hasText: `Request ${requestId}` }) });
      await eventually(
        async () => {
          if ((await section.count()) > 0) return true;
          await page.reload();
          return undefined;
        },
        30_000,
        'the request in the triage queue',
      );
      expect(await section.innerText()).toContain('No candidate');
      await expectGoodPage(page, 'console-triage');

      // 4. Assigned to the tenant in one click; the request's cases follow.
      await section.getByLabel('Another tenant’s id').fill(stack.tenant.tenantId);
      await section.getByRole('button', { name: 'Assign to the chosen tenants' }).click();
      expect(new URL(page.url()).pathname).toBe('/console/cases');
      expect(await mainText(page)).toContain('The request is assigned.');
      const caseLink = page.getByRole('link', { name: stack.tenant.legalName });
      await eventually(
        async () => {
          if ((await caseLink.count()) > 0) return true;
          await page.reload();
          return undefined;
        },
        30_000,
        "the request's case in the console",
      );
      await expectGoodPage(page, 'console-request-cases');

      // 5. The case: its audit trail names the operator; its messages show the forward's delivery.
      await caseLink.click();
      expect(await heading(page)).toBe(`Case for ${stack.tenant.legalName}`);
      const audit = await eventually(
        async () => {
          const text = await page.locator('h2#audit + ol').innerText();
          if (text.includes('forwarded')) return text;
          await page.reload();
          return undefined;
        },
        30_000,
        'the forward in the audit trail',
      );
      expect(audit).toContain('matched by operator dev-operator');
      expect(await mainText(page)).toContain(stack.tenant.contact);
      await expectGoodPage(page, 'console-case');

      // 6. Cases by state.
      await page.getByRole('link', { name: 'Cases', exact: true }).click();
      expect(await heading(page)).toBe('Cases');
      await expectGoodPage(page, 'console-cases');

      // 7. Sign out; the cookie held until then opens nothing.
      const before = await context.cookies();
      expect(before.find((c) => c.name === 'relay_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      await page.getByRole('button', { name: 'Sign out' }).click();
      expect(new URL(page.url()).pathname).toBe('/console/sign-in');
      expect(await mainText(page)).toContain('You are signed out.');
      await expectGoodPage(page, 'console-signed-out');
      const replay = await newContext(browser, width);
      await replay.addCookies(before);
      const thief = await replay.newPage();
      await thief.goto(`${stack.relayUrl}/console/triage`);
      expect(new URL(thief.url()).pathname).toBe('/console/sign-in');
      await context.close();
      await replay.close();
    },
  );
});
