import disposableDomains from 'disposable-email-domains/index.json';
import freeMailDomains from 'email-providers/all.json';
import { getDomain } from 'tldts';

/**
 * Domains whose addresses say nothing about a company: free-mail providers (the
 * `email-providers` list) and disposable-address services (`disposable-email-domains`).
 */
const PERSONAL_MAIL_DOMAINS: ReadonlySet<string> = new Set([...freeMailDomains, ...disposableDomains]);

/** Lower-cased, trimmed address: the form every lookup and hash uses. */
export function canonicalEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * The registrable domain ("eTLD+1", from the public suffix list) of an address or host:
 * `privacy@mail.juro.co.uk` → `juro.co.uk`. Undefined when there is none (an IP, a bare suffix).
 */
export function registrableDomain(emailOrHost: string): string | undefined {
  const host = canonicalEmail(emailOrHost).replace(/^.*@/, '');
  return getDomain(host, { allowPrivateDomains: false }) ?? undefined;
}

/** True when addresses at this domain belong to people, not to one company (gmail.com, mailinator.com). */
export function isPersonalMailDomain(domain: string): boolean {
  const lower = domain.toLowerCase();
  if (PERSONAL_MAIL_DOMAINS.has(lower)) return true;
  const registrable = registrableDomain(lower);
  return registrable !== undefined && PERSONAL_MAIL_DOMAINS.has(registrable);
}

/** The registrable domain of an address unless it is a personal-mail domain. */
export function companyDomainOf(email: string): string | undefined {
  const domain = registrableDomain(email);
  if (domain === undefined) return undefined;
  const host = canonicalEmail(email).replace(/^.*@/, '');
  return isPersonalMailDomain(host) || isPersonalMailDomain(domain) ? undefined : domain;
}
