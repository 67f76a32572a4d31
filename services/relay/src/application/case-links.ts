import { signToken, verifyToken } from '@privacy-relay/shared/tokens';
import type { TenantAction } from '../domain/case';

export const TENANT_ACTIONS: readonly TenantAction[] = ['acknowledge', 'done', 'not-ours'];

/** What an admin link does: one of the tenant's actions, or extending the deadline (once, with a reason). */
export type CaseLinkAction = TenantAction | 'extend';

export const CASE_LINK_ACTIONS: readonly CaseLinkAction[] = [...TENANT_ACTIONS, 'extend'];

export type CaseLinkCheck =
  | { ok: true }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' | 'wrong-binding' | 'other-case' };

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
    const token = signToken(this.secret, {
      purpose: purposeOf(action),
      subject: caseId,
      expiresAt: Math.floor((now.getTime() + this.ttlMs) / 1000),
    });
    return `${this.publicUrl}/case-links/${caseId}/${action}/${token}`;
  }

  check(caseId: string, action: CaseLinkAction, token: string, now: Date): CaseLinkCheck {
    const result = verifyToken(this.secret, token, { purpose: purposeOf(action), now });
    if (!result.ok) return result;
    if (result.claims.subject !== caseId) return { ok: false, reason: 'other-case' };
    return { ok: true };
  }
}

function purposeOf(action: CaseLinkAction): string {
  return `case-${action}`;
}
