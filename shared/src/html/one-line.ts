// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * A value meant for one line of a plain-text mail or a subject: no line break or control character
 * survives, so a value (a name from the directory, from a request) can never forge a line of ours.
 */
export function oneLine(value: string): string {
  return value.replace(LINE_BREAKING, ' ');
}
