import { hashCounterpartyEmail } from './counterparty-hash';
import type { TenantIndex } from './tenant-index';

/** A tenant as the evaluation CLI and the benchmarks read it (one JSON line of a directory file). */
export interface DirectoryEntry {
  id: string;
  legalName: string;
  aliases?: string[] | undefined;
  domains?: string[] | undefined;
  contacts?: Array<{ email: string }> | undefined;
  /** In clear in the file; only their keyed hashes enter the index. */
  counterparties?: string[] | undefined;
}

export function indexDirectoryEntry(index: TenantIndex, entry: DirectoryEntry, hmacKey: string): void {
  index.upsert({
    tenantId: entry.id,
    legalName: entry.legalName,
    aliases: entry.aliases ?? [],
    domains: entry.domains ?? [],
    contactEmails: (entry.contacts ?? []).map((contact) => contact.email),
  });
  if (entry.counterparties) {
    index.addCounterparties(
      entry.id,
      entry.counterparties.map((email) => hashCounterpartyEmail(hmacKey, email)),
    );
  }
}
