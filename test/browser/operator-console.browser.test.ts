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
 * case, open the case's audit trail, the dashboard, the escalated and overdue lists, the tenant
 * directory (search, a tenant, an import with its progress), sign out — and the cookie held before signing out opens
 * nothing. Every console page visited is screenshotted and held to axe-core (no serious or
 * critical violation), the viewport's width and the site stylesheet.
 */
describeInBrowser(
  'The operator console in a browser: sign in, triage, a case’s audit trail, the dashboard, the directory and an import, sign out',
  () => {
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

        // 7. The dashboard: the case just forwarded is counted; the chart's numbers are in a table too.
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        expect(await heading(page)).toBe('Dashboard');
        const counts = await page.locator('table#state-counts').innerText();
        expect(counts).toMatch(/forwarded\s+[1-9]/);
        expect(await page.locator('svg[role="img"] title').count()).toBe(2);
        await expectGoodPage(page, 'console-dashboard');

        // 8. The escalated and the overdue cases (none yet: the case was forwarded moments ago).
        await page.getByRole('link', { name: 'Escalated', exact: true }).click();
        expect(await heading(page)).toBe('Escalated cases');
        await expectGoodPage(page, 'console-escalated');
        await page.getByRole('link', { name: 'Overdue', exact: true }).click();
        expect(await heading(page)).toBe('Overdue cases');
        await expectGoodPage(page, 'console-overdue');

        // 9. The directory: search by the tenant's domain, its page with its contact and its case.
        await page.getByRole('link', { name: 'Tenant directory', exact: true }).click();
        await page.getByLabel('Search tenants').fill(stack.tenant.domain);
        await page.getByRole('button', { name: 'Search' }).click();
        await expectGoodPage(page, 'console-directory-search');
        await page.getByRole('link', { name: stack.tenant.legalName }).click();
        expect(await heading(page)).toBe(stack.tenant.legalName);
        expect(await page.locator('#contacts').innerText()).toContain(stack.tenant.contact);
        expect(await page.locator('#cases a').count()).toBeGreaterThan(0);
        await expectGoodPage(page, 'console-tenant');

        // 10. Import a directory file: the job's page shows its progress until done.
        await page.getByRole('link', { name: 'Back to the directory' }).click();
        await page.getByRole('link', { name: 'Import a directory file' }).click();
        await expectGoodPage(page, 'console-import');
        const imported = `tenant-imported-${width}-${Date.now()}`;
        await page.getByLabel('The file').setInputFiles({
          name: 'tenants.jsonl',
          mimeType: 'application/json',
          buffer: Buffer.from(
            JSON.stringify({
              tenantId: imported,
              changedAt: new Date().toISOString(),
              legalName: `Imported ${width} Ltd`,
              domains: [`imported-${width}.example`],
            }),
          ),
        });
        await page.getByRole('button', { name: 'Import' }).click();
        expect(await heading(page)).toBe('Directory import');
        await eventually(
          async () => {
            if ((await page.locator('#import-state').innerText()).startsWith('done')) return true;
            await page.reload();
            return undefined;
          },
          30_000,
          'the import done',
        );
        expect(await page.locator('#progress').innerText()).toContain('1 of 1');
        await expectGoodPage(page, 'console-import-job');

        // 11. Sign out; the cookie held until then opens nothing.
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
  },
);
