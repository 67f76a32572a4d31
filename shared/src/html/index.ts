export { escapeHtml } from './escape-html';
export { oneLine } from './one-line';
