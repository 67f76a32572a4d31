import { domainToASCII } from 'node:url';
import {
  authservIdOf,
  parseAuthenticationResults,
  sameAuthservId,
  type AuthenticationResult,
} from './authentication-results';
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

/** How the SMTP listener may come to trust a sender: INTAKE_SMTP_TRUST_SENDER and INTAKE_SMTP_AUTHSERV_ID. */
export interface SmtpSenderPolicy {
  trustSender: boolean;
  /** The authserv-id our MTA writes in its Authentication-Results fields; empty: none trusted. */
  authservId: string;
}

/** What of the mail the SMTP verdict reads. */
export interface SmtpSenderEvidence {
  /** The From address (when the requester is the sender, the mail's only one). */
  senderAddress: string | undefined;
  /** The raw values of the mail's Authentication-Results fields, topmost first. */
  authenticationResults: readonly string[];
}

/**
 * Anyone can connect to the SMTP listener and write any From, and an MTA that "enforces DMARC"
 * still lets through mail from domains with p=none. So a From is trusted only when the mail
 * carries our MTA's own DMARC verdict: the topmost Authentication-Results field (RFC 8601) with
 * our authserv-id, all of whose dmarc results pass for the From domain. Fields with other ids are
 * anyone's text; fields with our id below our MTA's topmost one may be the sender's (the MTA
 * must strip those, RFC 8601 §5, and prepends its own). No field of ours, one we cannot read,
 * no dmarc result in it, or any other result: pending, verified by link like a form request.
 */
export function verificationFromSmtpAuthenticationResults(
  policy: SmtpSenderPolicy,
  evidence: SmtpSenderEvidence,
  requesterIsSender: boolean,
): VerificationAtIntake {
  const pending: VerificationAtIntake = { status: 'pending' };
  if (!policy.trustSender || policy.authservId.trim() === '' || !requesterIsSender) return pending;
  const fromDomain = domainOf(evidence.senderAddress);
  if (!fromDomain) return pending;

  const ours = evidence.authenticationResults.find((value) => {
    const id = authservIdOf(value);
    return id !== undefined && sameAuthservId(id, policy.authservId);
  });
  const verdict = ours === undefined ? undefined : parseAuthenticationResults(ours);
  if (!verdict) return pending;

  const dmarc = verdict.results.filter((result) => result.method === 'dmarc');
  const passes = (result: AuthenticationResult) => {
    const headerFrom = result.properties['header.from'];
    return result.result === 'pass' && (headerFrom === undefined || domainOf(headerFrom) === fromDomain);
  };
  return dmarc.length > 0 && dmarc.every(passes) ? { status: 'verified', method: 'smtp-policy' } : pending;
}

/** The lower-case ASCII (IDNA) form of an address's or a bare domain's domain; undefined if none. */
function domainOf(addressOrDomain: string | undefined): string | undefined {
  if (!addressOrDomain) return undefined;
  const domain = addressOrDomain.slice(addressOrDomain.lastIndexOf('@') + 1).trim();
  const ascii = domain === '' ? '' : domainToASCII(domain.replace(/\.$/, ''));
  return ascii === '' ? undefined : ascii.toLowerCase();
}
