import { signToken, verifyToken } from '@privacy-relay/shared/tokens';
import type { TenantAction } from '../domain/case';

export const TENANT_ACTIONS: readonly TenantAction[] = ['acknowledge', 'done', 'not-ours'];

/** What an admin link does: one of the tenant's actions, or extending the deadline (once, with a reason). */
export type CaseLinkAction = TenantAction | 'extend';

export const CASE_LINK_ACTIONS: readonly CaseLinkAction[] = [...TENANT_ACTIONS, 'extend'];

export type CaseLinkCheck =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' | 'wrong-binding' | 'other-case' };

/**
 * How long a token written into a case page's form stays valid: long enough to read the request
 * and write an extension's reason, short enough that a page left in a browser's history soon
 * holds nothing usable. Never longer than the link the page was opened with.
 */
export const PAGE_FORM_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * The signed, expiring admin links of a case: one per action, each naming the case in its path
 * and signed for that case and that action only, so a link acts on its own case and does only
 * what it says.
 */
export class CaseLinks {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
    private readonly ttlMs: number,
  ) {}

  linkFor(caseId: string, action: CaseLinkAction, now: Date): string {
    const token = this.sign(caseId, action, Math.floor((now.getTime() + this.ttlMs) / 1000));
    return `${this.publicUrl}/case-links/${caseId}/${action}/${token}`;
  }

  /**
   * The token a case page writes into one action's form (the page opened with a valid link for
   * `caseId`, whose expiry is `notAfter`, seconds): for this case and action only, valid for
   * `PAGE_FORM_TOKEN_TTL_MS` and never past `notAfter`, so that opening a page with a page's
   * token never makes a link that outlives the mail's.
   */
  pageTokenFor(caseId: string, action: CaseLinkAction, now: Date, notAfter: number): string {
    return this.sign(caseId, action, Math.min(Math.floor((now.getTime() + PAGE_FORM_TOKEN_TTL_MS) / 1000), notAfter));
  }

  check(caseId: string, action: CaseLinkAction, token: string, now: Date): CaseLinkCheck {
    const result = verifyToken(this.secret, token, { purpose: purposeOf(action), now });
    if (!result.ok) return result;
    if (result.claims.subject !== caseId) return { ok: false, reason: 'other-case' };
    return { ok: true, expiresAt: result.claims.expiresAt };
  }

  private sign(caseId: string, action: CaseLinkAction, expiresAt: number): string {
    return signToken(this.secret, { purpose: purposeOf(action), subject: caseId, expiresAt });
  }
}

function purposeOf(action: CaseLinkAction): string {
  return `case-${action}`;
}
