/** What the directory search compares (a tenant as the directory holds it). */
export interface SearchableTenant {
  tenantId: string;
  legalName: string;
  aliases: readonly string[];
  domains: readonly string[];
}

const fold = (text: string): string => text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();

/**
 * Whether a tenant answers the console's directory search: the query (case and accents ignored)
 * inside its legal name or an alias, equal to its id, or naming one of its domains (the domain
 * itself, a part of it, a subdomain of it, or an address at it).
 */
export function tenantMatchesQuery(tenant: SearchableTenant, query: string): boolean {
  const q = fold(query);
  if (q === '') return false;
  if (fold(tenant.tenantId) === q) return true;
  if ([tenant.legalName, ...tenant.aliases].some((name) => fold(name).includes(q))) return true;
  const host = q.includes('@') ? q.slice(q.lastIndexOf('@') + 1) : q;
  return tenant.domains.some((domain) => {
    const d = fold(domain);
    return d.includes(host) || host.endsWith(`.${d}`);
  });
}
