/**
 * A browser's part in the console, by hand: cookies kept between requests, forms posted
 * urlencoded (or multipart for an upload), redirects not followed.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(private readonly base: () => string) {}

  async send(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[] | undefined>) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form ?? {})) {
      for (const one of value === undefined ? [] : Array.isArray(value) ? value : [value]) body.append(name, one);
    }
    return this.request(
      method,
      path,
      form ? body.toString() : undefined,
      form ? 'application/x-www-form-urlencoded' : undefined,
    );
  }

  /** Posts a multipart form: its text fields, then one file. */
  async upload(
    path: string,
    fields: Record<string, string>,
    file: { name: string; field?: string; content: string | Buffer },
  ) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append(file.field ?? 'file', new Blob([file.content]), file.name);
    return this.request('POST', path, form);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string | FormData, contentType?: string) {
    const response = await fetch(`${this.base()}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ') } : {}),
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      refresh: response.headers.get('refresh'),
      html: await response.text(),
    };
  }

  /** Signs in through the form (its token first); the answer of the POST. */
  async signIn(user: { username: string; password: string }) {
    const form = await this.send('GET', '/console/sign-in');
    return this.send('POST', '/console/sign-in', { _csrf: csrfIn(form.html), ...user });
  }
}

/** The page's CSRF token (every console form carries it as `_csrf`). */
export function csrfIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no _csrf field in the page');
  return token;
}
