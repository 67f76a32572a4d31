// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\n\r\u000b\u000c\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const OTHER_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;

/**
 * Someone else's free text in a plain-text mail, every line quoted with "> ": whatever they wrote
 * (a line that looks like ours, a header-like line) reads as theirs, never as a line of the mail.
 */
export function quotedLines(text: string): string {
  return text
    .split(LINE_BREAK)
    .map((line) => `> ${line.replace(OTHER_CONTROL, ' ')}`.trimEnd())
    .join('\n');
}
