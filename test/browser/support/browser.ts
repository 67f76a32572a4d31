import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, which `.ci/run` installs; CHROMIUM_PATH points elsewhere on a dev machine. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for this closed network: without the background-networking ones Chromium keeps trying
 * Google's hosts. No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
 */
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Phone (an iPhone 12–15 is 390 CSS px wide) and desktop. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'screenshots');

/**
 * Whether the browser tests run here. Without Chromium they are skipped with a message; `.ci/run`
 * sets PRIVACY_RELAY_BROWSER_TESTS=required, so in CI a missing Chromium fails instead.
 */
export function browserAvailability(): { available: true } | { available: false; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.PRIVACY_RELAY_BROWSER_TESTS === 'required') throw new Error(reason.replace('skipped', 'required'));
  return { available: false, reason };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh context (own cookies) at one of the widths; JavaScript off, as the pages must work without it. */
export function newContext(browser: Browser, viewport: ViewportName): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORTS[viewport], javaScriptEnabled: false, locale: 'en-GB' });
}

export interface PageCheck {
  /** axe-core violations of impact serious or critical: rule id, impact, the first offending nodes. */
  seriousViolations: string[];
  /** Elements whose box reaches past the viewport's left or right edge. */
  overflowing: string[];
  /** Whether the site stylesheet took effect (a CSP that refused it would leave browser defaults). */
  styled: boolean;
}

/**
 * What every page the tests visit is held to: a screenshot saved (test/screenshots/, not
 * committed), axe-core's serious and critical rules, nothing wider than the viewport, the site
 * stylesheet applied.
 *
 * axe-core is a script, and the pages are visited with JavaScript off; so the page as the browser
 * holds it (its DOM, the inline stylesheet with it) is audited in a page of `auditor`, a context of
 * the same browser with JavaScript on and the same viewport.
 */
export async function checkPage(page: Page, name: string, auditor: BrowserContext): Promise<PageCheck> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const viewport = page.viewportSize() ?? VIEWPORTS.desktop;
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${viewport.width}.png`), fullPage: true });
  const copy = await auditor.newPage();
  let axe: Awaited<ReturnType<AxeBuilder['analyze']>>;
  try {
    await copy.setViewportSize(viewport);
    await copy.setContent(await page.content());
    // Legacy mode runs axe in the one frame (the pages have no frames) instead of a partial run
    // finished in another new page: about a fifth of the time here.
    axe = await new AxeBuilder({ page: copy })
      .setLegacyMode(true)
      .options({ resultTypes: ['violations'] })
      .analyze();
  } finally {
    await copy.close();
  }
  const seriousViolations = axe.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    );
  // Runs in the page. The test project has no DOM typings (they would clash with Node's), so the
  // few DOM members used are typed here.
  const { overflowing, styled } = await page.evaluate(() => {
    interface InPageElement {
      tagName: string;
      id: string;
      className: string;
      getBoundingClientRect(): { left: number; right: number; width: number };
    }
    const { document, getComputedStyle } = globalThis as unknown as {
      document: {
        documentElement: InPageElement & { clientWidth: number; scrollWidth: number };
        body: { querySelectorAll(selector: string): ArrayLike<InPageElement> };
        querySelector(selector: string): InPageElement | null;
      };
      getComputedStyle(element: InPageElement): { maxWidth: string };
    };
    const limit = document.documentElement.clientWidth;
    const describe = (element: InPageElement) =>
      `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${
        element.className ? `.${element.className.trim().split(/\s+/).join('.')}` : ''
      }`;
    const wide = Array.from(document.body.querySelectorAll('*')).filter((element) => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && (box.right > limit + 0.5 || box.left < -0.5);
    });
    if (document.documentElement.scrollWidth > limit) wide.unshift(document.documentElement);
    const main = document.querySelector('main');
    return {
      // The outermost few say where; a wide element makes its ancestors wide as well.
      overflowing: wide.slice(0, 8).map(describe),
      styled: main !== null && getComputedStyle(main).maxWidth !== 'none',
    };
  });
  return { seriousViolations, overflowing, styled };
}
