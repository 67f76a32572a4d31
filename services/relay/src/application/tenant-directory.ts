import type { TenantDirectoryChangedV1 } from '@privacy-relay/shared/events';
import type { DirectoryTenant, TenantIndex } from '../domain/matching';
import type { CounterpartyHasher, TenantDirectoryRepository, TenantRecord } from './ports';

/** What the matcher needs of a stored tenant. */
export function toDirectoryTenant(tenant: TenantRecord): DirectoryTenant {
  return {
    tenantId: tenant.tenantId,
    legalName: tenant.legalName,
    aliases: tenant.aliases,
    domains: tenant.domains,
    contactEmails: tenant.contacts.map((contact) => contact.email),
  };
}

/**
 * Applies a directory change: persisted first (idempotent, ordered by `changedAt`, the version
 * the change carries from its source), then reflected in the in-memory index. A change older
 * than the stored one (or than the tenant's tombstone) is stale and changes nothing. Counterparty addresses are hashed before anything is stored.
 */
export async function applyDirectoryChange(
  deps: { repository: TenantDirectoryRepository; index: TenantIndex; hasher: CounterpartyHasher },
  event: TenantDirectoryChangedV1,
): Promise<{ outcome: 'applied' | 'stale' }> {
  const { payload } = event;
  const changedAt = new Date(payload.changedAt);
  if (payload.change === 'deleted') {
    const outcome = await deps.repository.deleteTenant(payload.tenantId, changedAt);
    if (outcome === 'applied') deps.index.remove(payload.tenantId);
    return { outcome };
  }
  const tenant: TenantRecord = {
    tenantId: payload.tenantId,
    ...(payload.tenant as NonNullable<typeof payload.tenant>),
  };
  const outcome = await deps.repository.upsertTenant(tenant, changedAt);
  // A stale change brings nothing, not even counterparties: a newer change (or deletion) decided since.
  if (outcome === 'stale') return { outcome };
  const added = (payload.counterpartyEmailsAdded ?? []).map((email) => deps.hasher.hash(email));
  const removed = (payload.counterpartyEmailsRemoved ?? []).map((email) => deps.hasher.hash(email));
  if (added.length > 0) await deps.repository.addCounterparties(payload.tenantId, added);
  if (removed.length > 0) await deps.repository.removeCounterparties(payload.tenantId, removed);
  deps.index.upsert(toDirectoryTenant(tenant));
  deps.index.addCounterparties(payload.tenantId, added);
  deps.index.removeCounterparties(payload.tenantId, removed);
  return { outcome };
}

/** Fills an empty index from the stored directory (at start). */
export async function rebuildTenantIndex(
  repository: TenantDirectoryRepository,
  index: TenantIndex,
): Promise<{ tenants: number; counterparties: number }> {
  let tenants = 0;
  let counterparties = 0;
  for await (const tenant of repository.allTenants()) {
    index.upsert(toDirectoryTenant(tenant));
    tenants++;
  }
  for await (const { tenantId, hash } of repository.allCounterparties()) {
    if (index.addCounterparties(tenantId, [hash])) counterparties++;
  }
  return { tenants, counterparties };
}
