import type { VerificationAtIntake } from './intake-request';

/** SES receipt verdicts (`receipt.*Verdict.status`): PASS, FAIL, GRAY or PROCESSING_FAILED. */
export interface SesVerdicts {
  spf?: string | undefined;
  dkim?: string | undefined;
  dmarc?: string | undefined;
  spam?: string | undefined;
  virus?: string | undefined;
}

const passed = (status: string | undefined) => status?.toUpperCase() === 'PASS';
const failed = (status: string | undefined) => status?.toUpperCase() === 'FAIL';

/**
 * An SES-received mail proves its sender only when DMARC passes: SPF and DKIM can pass for the
 * sending domain while the From header names anyone, and only DMARC checks that the From domain
 * is aligned with them. FAIL, GRAY, PROCESSING_FAILED or no verdict: pending, verified by link like
 * a form request. Mail that SES flagged as spam or virus never counts as proof. The verdict speaks
 * for the From address only: a requester taken from a different Reply-To stays pending too.
 */
export function verificationFromSesVerdicts(verdicts: SesVerdicts, requesterIsSender: boolean): VerificationAtIntake {
  if (!requesterIsSender || failed(verdicts.spam) || failed(verdicts.virus)) return { status: 'pending' };
  return passed(verdicts.dmarc) ? { status: 'verified', method: 'ses-verdicts' } : { status: 'pending' };
}

/**
 * Mail over our own SMTP listener carries no verdicts. Where an MTA in front of it already
 * enforces sender authentication, configuration may say to trust the From address.
 */
export function verificationFromSmtpPolicy(trustSender: boolean, requesterIsSender: boolean): VerificationAtIntake {
  return trustSender && requesterIsSender ? { status: 'verified', method: 'smtp-policy' } : { status: 'pending' };
}
