import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  browserAvailability,
  checkPage,
  launchChromium,
  newContext,
  type PageCheck,
  type ViewportName,
} from './support/browser';
import { PeopleStack, linkIn } from './support/people-stack';
import { eventually } from '../support/test-env';

const availability = browserAvailability();
if (!availability.available) process.stdout.write(`\n${availability.reason}\n`);
const describeInBrowser = availability.available ? describe : describe.skip;
const WIDTHS: ViewportName[] = ['phone', 'desktop'];

/**
 * The requester's and the customer admin's pages in Debian's Chromium, JavaScript off, at phone
 * and desktop width, against intake and relay running on the real Kafka, database and SES
 * endpoint. Every page visited is screenshotted and held to axe-core (no serious or critical
 * violation), to the viewport's width, and to the site stylesheet being applied.
 */
describeInBrowser("People's pages in a browser: the requester's form and status, the admin's link", () => {
  let stack: PeopleStack;
  let browser: Browser;
  let auditor: BrowserContext;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([PeopleStack.start('browser'), launchChromium()]);
    auditor = await browser.newContext();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function openPage(width: ViewportName): Promise<Page> {
    return (await newContext(browser, width)).newPage();
  }

  /** Holds the page to the checks; the page's name in a failure says which page it was. */
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

  it.each(WIDTHS)(
    'When / is opened at %s width, then it says what the service does and its link leads to the form',
    async (width) => {
      const page = await openPage(width);
      const response = await page.goto(`${stack.intakeUrl}/`);
      expect(response?.status()).toBe(200);
      expect(await heading(page)).toBe('Ask a company about your personal data');
      await expectGoodPage(page, 'home');
      // Keyboard focus shows: a ring of at least 2 px around the focused element.
      await page.keyboard.press('Tab');
      expect(await focusRing(page)).toEqual({ element: 'a', visible: true });
      await page.getByRole('link', { name: 'Make a request' }).click();
      expect(page.url()).toBe(`${stack.intakeUrl}/request`);
      expect(await heading(page)).toBe('Make a data-protection request');
      await expectGoodPage(page, 'request-form');
    },
  );

  it.each(WIDTHS)(
    'When the form is sent with nothing filled in at %s width, then each error shows between its label and its field, the field points at it, and the summary links to it',
    async (width) => {
      const page = await openPage(width);
      await page.goto(`${stack.intakeUrl}/request`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Send my request' }).click(),
      ]);
      expect(response.status()).toBe(400);
      await page.waitForLoadState();
      await expectGoodPage(page, 'request-form-errors');

      expect(await page.locator('#name-error').innerText()).toBe('Enter your name');
      expect(await page.locator('#email-error').innerText()).toBe('Enter your email address');
      for (const field of ['name', 'email'] as const) {
        const input = page.locator(`#${field}`);
        const error = page.locator(`#${field}-error`);
        expect(await input.getAttribute('aria-invalid')).toBe('true');
        expect(await input.getAttribute('aria-describedby')).toBe(`${field}-error`);
        expect((await error.innerText()).length).toBeGreaterThan(0);
        const [label, message, box] = await Promise.all([
          boxOf(page.locator(`label[for="${field}"]`)),
          boxOf(error),
          boxOf(input),
        ]);
        // Beside its field: under the label, above the field, nothing else between them.
        expect(message.y).toBeGreaterThanOrEqual(label.y + label.height - 1);
        expect(message.y + message.height).toBeLessThanOrEqual(box.y + 1);
        expect(box.y - (label.y + label.height)).toBeLessThan(120);
        await page.locator(`.error-summary a[href="#${field}"]`).click();
        expect(await page.locator(`#${field}:focus`).count()).toBe(1);
      }
      const rights = page.locator('fieldset');
      expect(await rights.getAttribute('aria-describedby')).toBe('rights-error');
      expect(await rights.locator('#rights-error').innerText()).toContain('right');
    },
  );

  it.each(WIDTHS)(
    'When a requester sends the form at %s width and confirms through the mailed link, then the status page goes from waiting to forwarded, and the admin opens the case page from the forward, acknowledges and marks it done, each confirmed',
    async (width) => {
      const unique = Math.random().toString(36).slice(2, 8);
      const requester = `ada-${width}-${unique}@requester.example`;
      const page = await openPage(width);

      // 1. The form, filled in as a person would.
      await page.goto(`${stack.intakeUrl}/request`);
      await page.getByLabel('Your name').fill(`Ada ${width} ${unique}`);
      await page.getByLabel('Your email address').fill(requester);
      await page.getByLabel('Access — a copy of my data').check();
      await page.getByLabel('Erasure — delete my data').check();
      await page.getByLabel('Company you think holds your data (optional)').fill(stack.tenant.legalName);
      await page.getByLabel("That company's email address (optional)").fill(`privacy@${stack.tenant.domain}`);
      await page
        .getByLabel('Anything else we should pass on (optional)')
        .fill(`Please send me a copy of my data, then delete it. My customer number is ${'X'.repeat(120)}.`);
      await expectGoodPage(page, 'request-form-filled');
      await page.getByRole('button', { name: 'Send my request' }).click();
      expect(await heading(page)).toBe('Request received');
      const reference = await page.locator('main strong').innerText();
      expect(reference).toMatch(/^PR-/);
      await expectGoodPage(page, 'request-received');

      // 2. The mails: the confirmation link and the status link.
      const confirmation = await stack.mailTo(
        requester,
        (mail) => mail.subject.startsWith('Confirm your privacy request'),
        'the confirmation mail',
      );
      const verifyLink = linkIn(confirmation, new RegExp(`${escapeRegExp(stack.intakeUrl)}/verify/\\S+`));
      const receipt = await stack.mailTo(
        requester,
        (mail) => mail.subject.startsWith('We received your privacy request'),
        'the receipt',
      );
      const statusLink = linkIn(receipt, new RegExp(`${escapeRegExp(stack.intakeUrl)}/status/\\S+`));

      // 3. The status page before confirming.
      await page.goto(statusLink);
      expect(await heading(page)).toBe(`Request ${reference}`);
      expect(await page.locator('main').innerText()).toContain('Waiting for you to confirm your email address.');
      await expectGoodPage(page, 'status-waiting');

      // 4. Confirmed through the link: GET shows a button, the button confirms.
      await page.goto(verifyLink);
      expect(await heading(page)).toBe('Confirm your request');
      await expectGoodPage(page, 'confirm');
      await page.getByRole('button', { name: 'Confirm' }).click();
      expect(await heading(page)).toBe('Request confirmed');
      await expectGoodPage(page, 'confirmed');

      // 5. The status page follows: confirmed, then forwarded to the customer with the deadline.
      await page.goto(statusLink);
      expect(await page.locator('main').innerText()).not.toContain('Waiting for you to confirm');
      const forwardedTo = await eventually(
        async () => {
          await page.reload();
          const text = await page.locator('main').innerText();
          return text.includes(`Forwarded to ${stack.tenant.legalName}`) ? text : undefined;
        },
        30_000,
        'the status page naming the customer',
      );
      expect(forwardedTo).toMatch(/they must answer by \d{4}-\d{2}-\d{2}/);
      await expectGoodPage(page, 'status-forwarded');

      // 6. The customer admin opens the acknowledge link of the forward and presses the button.
      const forward = await stack.mailTo(
        stack.tenant.contact,
        (mail) => (mail.body.text ?? '').includes(reference),
        'the forward to the privacy contact',
      );
      const acknowledgeLink = linkIn(
        forward,
        new RegExp(`${escapeRegExp(stack.relayUrl)}/case-links/[0-9a-f-]{36}/acknowledge/\\S+`),
      );
      const caseId = /case-links\/([0-9a-f-]{36})\//.exec(acknowledgeLink)?.[1] ?? '';
      const admin = await openPage(width);
      await admin.goto(acknowledgeLink);
      // The case page: what was asked, by whom, the deadline with the days left, the actions.
      expect(await heading(admin)).toBe(`Privacy request ${reference}`);
      const casePage = await admin.locator('main').innerText();
      expect(casePage).toContain(`Ada ${width} ${unique} <${requester}>`);
      expect(casePage).toContain('access (a copy of their data)');
      expect(casePage).toContain(`My customer number is ${'X'.repeat(120)}.`);
      expect(casePage).toMatch(/answer the requester by \d{4}-\d{2}-\d{2}: \d+ days left/);
      expect(casePage).toContain('not acknowledged yet');
      await expectGoodPage(admin, 'admin-case');
      expect(await stack.caseState(caseId)).toBe('forwarded');
      await admin.getByRole('button', { name: 'Acknowledge' }).click();
      expect(await heading(admin)).toBe('Request acknowledged');
      expect(await admin.locator('main').innerText()).toContain('the request is acknowledged');
      expect(await admin.locator('main').innerText()).toContain('What comes next');
      await expectGoodPage(admin, 'admin-acknowledged');
      expect(await stack.caseState(caseId)).toBe('acknowledged');

      // 7. Back to the case page, which follows; "Mark done" through the page's own form for it.
      await admin.getByRole('link', { name: 'Back to the request' }).click();
      expect(await heading(admin)).toBe(`Privacy request ${reference}`);
      expect(await admin.locator('main').innerText()).toMatch(/Acknowledged on \d{4}-\d{2}-\d{2}/);
      await expectGoodPage(admin, 'admin-case-acknowledged');
      await admin.getByRole('button', { name: 'Mark done' }).click();
      expect(await heading(admin)).toBe('Request marked done');
      await expectGoodPage(admin, 'admin-done');
      expect(await stack.caseState(caseId)).toBe('done');
    },
  );
});

/** The focused element's tag and whether an outline of at least 2 px is drawn around it. */
function focusRing(page: Page): Promise<{ element: string; visible: boolean }> {
  return page.locator(':focus').evaluate((element: unknown) => {
    const { getComputedStyle } = globalThis as unknown as {
      getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string };
    };
    const style = getComputedStyle(element);
    return {
      element: (element as { tagName: string }).tagName.toLowerCase(),
      visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });
}

async function boxOf(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${locator.toString()} is not visible`);
  return box;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
