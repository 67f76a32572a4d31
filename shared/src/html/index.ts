export { escapeHtml } from './escape-html';
export { oneLine } from './one-line';
export { quotedLines } from './quoted-lines';
export { htmlPage, type HtmlPageInput } from './page';
export { SITE_CSS, SITE_STYLE_CSP_SOURCE } from './stylesheet';
