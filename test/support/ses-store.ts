import { eventually, stackEndpoints } from './test-env';

/** A mail as aws-ses-v2-local keeps it (GET /store). */
export interface StoredMail {
  messageId: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  /** When the endpoint took it, in whole seconds since the epoch. */
  at: number;
}

/** Every mail the SES endpoint holds (taken at `sinceEpochS` or later, when given). */
export async function storedMails(sinceEpochS?: number): Promise<StoredMail[]> {
  const query = sinceEpochS === undefined ? '' : `?since=${sinceEpochS}`;
  const response = await fetch(`${stackEndpoints().sesEndpoint}/store${query}`);
  if (!response.ok) throw new Error(`the SES endpoint's store answered ${response.status}`);
  return ((await response.json()) as { emails: StoredMail[] }).emails;
}

/** The mails to `address` held by the SES endpoint. */
export async function mailsTo(address: string): Promise<StoredMail[]> {
  return (await storedMails()).filter((mail) => mail.destination.to.includes(address));
}

/** The first mail to `address` whose subject matches, once it is in the store (30 s at most). */
export function mailTo(address: string, subject: RegExp, what: string): Promise<StoredMail> {
  return eventually(
    async () => (await mailsTo(address)).find((mail) => subject.test(mail.subject)),
    30_000,
    `${what} in the SES endpoint's store`,
  );
}

/** The first text in a mail's text body (or any text) that matches `pattern`. */
export function linkIn(text: string | undefined, pattern: RegExp): string {
  const found = pattern.exec(text ?? '')?.[0];
  if (!found) throw new Error(`no ${String(pattern)} in the mail`);
  return found;
}
