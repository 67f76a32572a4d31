import { signToken, verifyToken } from '@privacy-relay/shared/tokens';
import type { ForwardingCase, TenantAction } from '../domain/case';

export const TENANT_ACTIONS: readonly TenantAction[] = ['acknowledge', 'done', 'not-ours'];

/** What an admin link does: one of the tenant's actions, or extending the deadline (once, with a reason). */
export type CaseLinkAction = TenantAction | 'extend';

export const CASE_LINK_ACTIONS: readonly CaseLinkAction[] = [...TENANT_ACTIONS, 'extend'];

/**
 * Whom a case's links were mailed to: one of the case's privacy contacts (its place in the case's
 * list, and the address it had then), or one of the tenant's admins (an escalation's mail).
 */
export type LinkRecipient = { kind: 'contact'; contactIndex: number; email: string } | { kind: 'admin'; email: string };

export type CaseLinkCheck =
  | {
      ok: true;
      expiresAt: number;
      /** Whom the link was mailed to; undefined for a link signed before links named their recipient. */
      recipient?: LinkRecipient;
    }
  | {
      ok: false;
      reason:
        | 'malformed'
        | 'bad-signature'
        | 'wrong-purpose'
        | 'expired'
        | 'wrong-binding'
        | 'other-case'
        /** Signed for an address that is no longer the case's contact (or the tenant's admin). */
        | 'recipient-replaced';
    };

/** The tenant's admin addresses as the directory has them now (read only for an admin's link). */
export type CurrentAdmins = () => Promise<readonly string[]>;

/**
 * How long a token written into a case page's form stays valid: long enough to read the request
 * and write an extension's reason, short enough that a page left in a browser's history soon
 * holds nothing usable. Never longer than the link the page was opened with.
 */
export const PAGE_FORM_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

/** `<caseId>_c<index>` (a privacy contact), `<caseId>_a` (an admin), or the bare case id (older links). */
const SUBJECT = /^([0-9A-Fa-f-]{36})(?:_(c(\d{1,3})|a))?$/;

/**
 * The signed, expiring admin links of a case: one per action, each naming the case in its path
 * and signed for that case and that action only, so a link acts on its own case and does only
 * what it says. Each link is also bound to the address it was mailed to: the token names the
 * recipient (a contact's place in the case's list, or "an admin") and its MAC covers that
 * recipient's address, so once an operator replaces the contact (or the directory drops the
 * admin) the links in the mails to the old address are refused — nothing but the case as it
 * stands decides, no list of revoked links is kept.
 */
export class CaseLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
    private readonly ttlMs: number,
  ) {}

  linkFor(caseId: string, action: CaseLinkAction, now: Date, recipient: LinkRecipient): string {
    const token = this.sign(caseId, action, Math.floor((now.getTime() + this.ttlMs) / 1000), recipient);
    return `${this.publicUrl}/case-links/${caseId}/${action}/${token}`;
  }

  /**
   * The token a case page writes into one action's form (the page opened with a valid link for
   * `caseId`, whose expiry is `notAfter`, seconds, mailed to `recipient`): for this case, action
   * and recipient only, valid for `PAGE_FORM_TOKEN_TTL_MS` and never past `notAfter`, so that
   * opening a page with a page's token never makes a link that outlives the mail's.
   */
  pageTokenFor(
    caseId: string,
    action: CaseLinkAction,
    now: Date,
    notAfter: number,
    recipient: LinkRecipient | undefined,
  ): string {
    const expiresAt = Math.min(Math.floor((now.getTime() + PAGE_FORM_TOKEN_TTL_MS) / 1000), notAfter);
    return this.sign(caseId, action, expiresAt, recipient);
  }

  /**
   * Checks a token against the case as it stands (`current`, the case the path names): signed for
   * this case and action, not expired, and mailed to an address that is still the case's contact at
   * that place (or still one of the tenant's admins). A link signed before links named their
   * recipient passes only if no contact of the case changed since it was signed.
   */
  async check(
    current: ForwardingCase,
    action: CaseLinkAction,
    token: string,
    now: Date,
    currentAdmins: CurrentAdmins,
  ): Promise<CaseLinkCheck> {
    const subject = SUBJECT.exec(token.split('.')[1] ?? '');
    if (!subject) return { ok: false, reason: 'malformed' };
    if (subject[1] !== current.caseId) return { ok: false, reason: 'other-case' };
    const purpose = purposeOf(action);
    const verify = (binding?: string) =>
      verifyToken(this.secret, token, { purpose, now, ...(binding === undefined ? {} : { binding }) });

    if (subject[2] === undefined) {
      const result = verify();
      if (!result.ok) return result;
      const issuedAt = result.claims.expiresAt * 1000 - this.ttlMs;
      const changedSince = current.audit.some(
        (line) => line.what === 'contact changed' && Date.parse(line.at) >= issuedAt,
      );
      return changedSince || (await adminDroppedSince(current, issuedAt, currentAdmins))
        ? { ok: false, reason: 'recipient-replaced' }
        : { ok: true, expiresAt: result.claims.expiresAt };
    }

    const candidates: LinkRecipient[] = [];
    const former: LinkRecipient[] = [];
    if (subject[3] !== undefined) {
      const contactIndex = Number(subject[3]);
      const email = current.contacts[contactIndex]?.email;
      if (email !== undefined) candidates.push({ kind: 'contact', contactIndex, email });
      for (const message of current.messages) {
        if (message.contactIndex === contactIndex) former.push({ kind: 'contact', contactIndex, email: message.email });
      }
    } else {
      for (const email of await currentAdmins()) candidates.push({ kind: 'admin', email });
      for (const escalation of current.escalations ?? []) {
        for (const mail of escalation.mails) if (mail.to === 'admin') former.push({ kind: 'admin', email: mail.email });
      }
    }
    let refusal: CaseLinkCheck = { ok: false, reason: 'bad-signature' };
    for (const recipient of candidates) {
      const result = verify(bindingOf(recipient));
      if (result.ok) return { ok: true, expiresAt: result.claims.expiresAt, recipient };
      if (result.reason !== 'wrong-binding') return result;
    }
    // Not the current address: an old one's (a clear "no longer works"), or not ours at all.
    for (const recipient of former) {
      if (verify(bindingOf(recipient)).ok) refusal = { ok: false, reason: 'recipient-replaced' };
    }
    return refusal;
  }

  private sign(
    caseId: string,
    action: CaseLinkAction,
    expiresAt: number,
    recipient: LinkRecipient | undefined,
  ): string {
    if (recipient === undefined)
      return signToken(this.secret, { purpose: purposeOf(action), subject: caseId, expiresAt });
    const holder = recipient.kind === 'contact' ? `c${recipient.contactIndex}` : 'a';
    return signToken(this.secret, {
      purpose: purposeOf(action),
      subject: `${caseId}_${holder}`,
      expiresAt,
      binding: bindingOf(recipient),
    });
  }
}

/**
 * Whether an admin that one of the case's escalations mailed (at or after `issuedAt`, as a link
 * signed then may have gone in that mail) is no longer one of the tenant's admins.
 */
async function adminDroppedSince(
  current: ForwardingCase,
  issuedAt: number,
  currentAdmins: CurrentAdmins,
): Promise<boolean> {
  const mailed = (current.escalations ?? []).flatMap((escalation) =>
    escalation.mails.flatMap((mail) =>
      mail.to === 'admin' && Date.parse(mail.sentAt ?? mail.intentAt) >= issuedAt ? [mail.email] : [],
    ),
  );
  if (mailed.length === 0) return false;
  const admins = new Set((await currentAdmins()).map((email) => email.trim().toLowerCase()));
  return mailed.some((email) => !admins.has(email.trim().toLowerCase()));
}

function purposeOf(action: CaseLinkAction): string {
  return `case-${action}`;
}

/** What a link's MAC covers besides its text: its recipient's address (never in the URL). */
function bindingOf(recipient: LinkRecipient): string {
  const email = recipient.email.trim().toLowerCase();
  return recipient.kind === 'contact' ? `contact:${recipient.contactIndex}:${email}` : `admin:${email}`;
}
