import { isDuplicateKeyError } from '@privacy-relay/shared/mongo';
import { Schema, type Connection, type Model, type QueryFilter } from 'mongoose';
import type { DirectoryWrite, TenantDirectoryRepository, TenantRecord } from '../../application/ports';

interface TenantDocument {
  _id: string;
  legalName?: string;
  aliases?: string[];
  domains?: string[];
  contacts?: { email: string; role: 'privacy' | 'admin'; name?: string }[];
  regime?: TenantRecord['regime'];
  jurisdiction?: string;
  escalation?: TenantRecord['escalation'];
  /** When the platform changed this tenant; older changes arriving late are ignored. */
  changedAt: Date;
  /** A tombstone: the tenant was removed (kept so that a late "upserted" cannot revive it). */
  deleted: boolean;
}

interface CounterpartyDocument {
  /** `${tenantId}:${hash}`: adding the same counterparty twice is a no-op. */
  _id: string;
  tenantId: string;
  /** HMAC-SHA256 of the address (base64url); the address itself is never stored. */
  hash: string;
}

const tenantSchema = new Schema<TenantDocument>(
  {
    _id: { type: String, required: true },
    legalName: String,
    aliases: { type: [String], default: undefined },
    domains: { type: [String], default: undefined },
    contacts: {
      type: [
        { _id: false, email: { type: String, required: true }, role: { type: String, required: true }, name: String },
      ],
      default: undefined,
    },
    regime: String,
    jurisdiction: String,
    escalation: {
      _id: false,
      reminderAfterWorkingDays: Number,
      allAdminsAfterDays: Number,
      privacyTeamAfterDays: Number,
    },
    changedAt: { type: Date, required: true },
    deleted: { type: Boolean, required: true },
  },
  // Reads are by _id (one tenant) or a full scan at start (index rebuild): no secondary index needed.
  { collection: 'tenants', versionKey: false },
);

const counterpartySchema = new Schema<CounterpartyDocument>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    hash: { type: String, required: true },
  },
  // Reads are by _id or a full scan at start; removal of a tenant's counterparties goes by _id list.
  { collection: 'tenant_counterparties', versionKey: false },
);

function toRecord(document: TenantDocument): TenantRecord {
  return {
    tenantId: document._id,
    legalName: document.legalName as string,
    aliases: document.aliases ?? [],
    domains: document.domains ?? [],
    contacts: (document.contacts ?? []).map((c) => ({
      email: c.email,
      role: c.role,
      ...(c.name ? { name: c.name } : {}),
    })),
    regime: document.regime ?? 'uk-gdpr',
    ...(document.jurisdiction ? { jurisdiction: document.jurisdiction } : {}),
    ...(document.escalation && Object.keys(document.escalation).length > 0 ? { escalation: document.escalation } : {}),
  };
}

/** The tenant directory in MongoDB (FerretDB): one document per tenant, one per counterparty hash. */
export class MongoTenantDirectoryRepository implements TenantDirectoryRepository {
  private readonly tenants: Model<TenantDocument>;
  private readonly counterparties: Model<CounterpartyDocument>;

  constructor(connection: Connection) {
    this.tenants = connection.model<TenantDocument>('Tenant', tenantSchema);
    this.counterparties = connection.model<CounterpartyDocument>('TenantCounterparty', counterpartySchema);
  }

  upsertTenant(tenant: TenantRecord, changedAt: Date): Promise<DirectoryWrite> {
    const { tenantId, ...rest } = tenant;
    // On a tie with a tombstone the deletion stands, whichever came first.
    return this.writeIfNewer(
      { _id: tenantId, $or: [{ changedAt: { $lt: changedAt } }, { changedAt, deleted: false }] },
      { ...rest, changedAt, deleted: false },
    );
  }

  deleteTenant(tenantId: string, changedAt: Date): Promise<DirectoryWrite> {
    return this.writeIfNewer({ _id: tenantId, changedAt: { $lte: changedAt } }, { changedAt, deleted: true });
  }

  /**
   * One conditional upsert: the filter matches the document only if the stored change is older
   * (or the same one again); when the stored one is newer, the upsert collides on _id and the
   * change is stale. A tombstone keeps its `changedAt`, so an older change cannot revive it.
   */
  private async writeIfNewer(
    filter: QueryFilter<TenantDocument>,
    fields: Partial<TenantDocument>,
  ): Promise<DirectoryWrite> {
    const unset: Record<string, 1> = {};
    if (fields.deleted)
      for (const key of ['legalName', 'aliases', 'domains', 'contacts', 'regime', 'jurisdiction', 'escalation'])
        unset[key] = 1;
    else {
      if (!fields.escalation) unset.escalation = 1;
      if (!fields.jurisdiction) unset.jurisdiction = 1;
    }
    try {
      await this.tenants.updateOne(
        filter,
        { $set: fields, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) },
        { upsert: true },
      );
      return 'applied';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'stale';
      throw error;
    }
  }

  async addCounterparties(tenantId: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.counterparties.bulkWrite(
      hashes.map((hash) => ({
        updateOne: { filter: { _id: `${tenantId}:${hash}` }, update: { $set: { tenantId, hash } }, upsert: true },
      })),
      { ordered: false },
    );
  }

  async removeCounterparties(tenantId: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.counterparties.deleteMany({ _id: { $in: hashes.map((hash) => `${tenantId}:${hash}`) } });
  }

  async findTenant(tenantId: string): Promise<TenantRecord | undefined> {
    const document = await this.tenants.findById(tenantId).lean<TenantDocument>();
    return document && !document.deleted ? toRecord(document) : undefined;
  }

  async *allTenants(): AsyncIterable<TenantRecord> {
    for await (const document of this.tenants.find({ deleted: false }).lean<TenantDocument[]>().cursor()) {
      yield toRecord(document as unknown as TenantDocument);
    }
  }

  async *allCounterparties(): AsyncIterable<{ tenantId: string; hash: string }> {
    for await (const document of this.counterparties.find().lean<CounterpartyDocument[]>().cursor()) {
      const { tenantId, hash } = document as unknown as CounterpartyDocument;
      yield { tenantId, hash };
    }
  }
}
