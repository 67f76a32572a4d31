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
 * An SES-received mail proves its sender when SPF and DKIM both pass, or DMARC passes; mail that
 * SES flagged as spam or virus never counts as proof. The verdicts speak for the From address
 * only: a requester taken from a different Reply-To stays pending and is verified by link.
 */
export function verificationFromSesVerdicts(verdicts: SesVerdicts, requesterIsSender: boolean): VerificationAtIntake {
  if (!requesterIsSender || failed(verdicts.spam) || failed(verdicts.virus)) return { status: 'pending' };
  const authenticated = (passed(verdicts.spf) && passed(verdicts.dkim)) || passed(verdicts.dmarc);
  return authenticated ? { status: 'verified', method: 'ses-verdicts' } : { status: 'pending' };
}

/**
 * Mail over our own SMTP listener carries no verdicts. Where an MTA in front of it already
 * enforces sender authentication, configuration may say to trust the From address.
 */
export function verificationFromSmtpPolicy(trustSender: boolean, requesterIsSender: boolean): VerificationAtIntake {
  return trustSender && requesterIsSender ? { status: 'verified', method: 'smtp-policy' } : { status: 'pending' };
}
