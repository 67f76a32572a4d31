import { escapeHtml } from './escape-html';
import { SITE_CSS } from './stylesheet';

export interface HtmlPageInput {
  /** The page's heading and the first part of its <title>; plain text (escaped here). */
  title: string;
  /** The page's content below the heading: HTML the caller built with escapeHtml. */
  body: string;
  /** Where the site name in the banner leads (intake's `/`); no link when absent. */
  homeHref?: string;
  /** Pages reached only through a token (admin links, status): kept out of search engines. */
  noindex?: boolean;
}

/**
 * The document every person-facing page is rendered in (intake's form and status pages, the
 * relay's admin links): the viewport for phones, no referrer (tokens sit in the paths), the site
 * stylesheet inline, a banner and one <main> landmark holding the heading and the content.
 */
export function htmlPage(input: HtmlPageInput): string {
  const brand = input.homeHref ? `<a href="${escapeHtml(input.homeHref)}">Privacy Relay</a>` : 'Privacy Relay';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${input.noindex ? '<meta name="robots" content="noindex">\n' : ''}<title>${escapeHtml(input.title)} — Privacy Relay</title>
<style>${SITE_CSS}</style>
</head>
<body>
<header class="site"><p>${brand}</p></header>
<main>
<h1>${escapeHtml(input.title)}</h1>
${input.body}
</main>
</body>
</html>
`;
}
