export { escapeHtml } from './escape-html';
export { oneLine } from './one-line';
export { quotedLines } from './quoted-lines';
