import type { Connection } from 'mongoose';
import type { CaseListing, CaseSummary } from '../../application/ports';
import type { CaseState, ForwardingCase } from '../../domain/case';
import type { CaseFacts } from '../../domain/console';

const ALL_STATES: readonly CaseState[] = [
  'matched',
  'forwarded',
  'acknowledged',
  'done',
  'not-ours',
  'no-contact-left',
];

interface ListedCaseDocument {
  _id: string;
  state: CaseState;
  tenantId: string;
  data: Pick<ForwardingCase, 'requestId' | 'tenantId' | 'tenantName' | 'deadline' | 'receivedOn'>;
}

interface FactsCaseDocument {
  _id: string;
  state: CaseState;
  data: Pick<
    ForwardingCase,
    'requestId' | 'tenantId' | 'tenantName' | 'deadline' | 'receivedOn' | 'jurisdiction' | 'escalations' | 'messages'
  >;
}

const SUMMARY_PROJECTION = {
  state: 1,
  'data.requestId': 1,
  'data.tenantId': 1,
  'data.tenantName': 1,
  'data.deadline': 1,
  'data.receivedOn': 1,
};

function toSummary({ _id, state, data }: ListedCaseDocument): CaseSummary {
  return {
    caseId: _id,
    state,
    requestId: data.requestId,
    tenantId: data.tenantId,
    ...(data.tenantName ? { tenantName: data.tenantName } : {}),
    receivedOn: data.receivedOn,
    deadline: data.deadline,
  };
}

/**
 * The console's list of cases in one state, read from the `cases` collection that
 * MongoCaseRepository writes (read-only here: every write goes through that repository). An
 * equality filter on the top-level `state`, which FerretDB v1 pushes down to PostgreSQL and there
 * scans (only `_id` is indexed); earliest deadline first, `limit` bounds what is read back.
 * The dashboard's reads are such scans too, bounded per state (docs/console.md, "Query cost").
 */
export class MongoCaseListing implements CaseListing {
  constructor(private readonly connection: Connection) {}

  async listByState(state: CaseState, limit: number): Promise<CaseSummary[]> {
    const documents = await this.connection
      .collection<ListedCaseDocument>('cases')
      .find({ state }, { projection: SUMMARY_PROJECTION })
      .sort({ 'data.deadline': 1, _id: 1 })
      .limit(limit)
      .toArray();
    return documents.map(toSummary);
  }

  async listByTenant(tenantId: string, limit: number): Promise<CaseSummary[]> {
    // `tenantId` is kept top-level beside `data` on every case: an equality filter FerretDB pushes down.
    const documents = await this.connection
      .collection<ListedCaseDocument>('cases')
      .find({ tenantId }, { projection: SUMMARY_PROJECTION })
      .sort({ 'data.deadline': 1, _id: 1 })
      .limit(limit)
      .toArray();
    return documents.map(toSummary);
  }

  async countByState(): Promise<Record<CaseState, number>> {
    const cases = this.connection.collection('cases');
    const counts = await Promise.all(ALL_STATES.map((state) => cases.countDocuments({ state })));
    return Object.fromEntries(ALL_STATES.map((state, i) => [state, counts[i] ?? 0])) as Record<CaseState, number>;
  }

  async scanFacts(limit: number, states?: readonly CaseState[]): Promise<{ cases: CaseFacts[]; partial: boolean }> {
    const cases = this.connection.collection<FactsCaseDocument>('cases');
    // Whole sub-documents: FerretDB v1 does not project fields inside array elements. The messages'
    // addresses are read into memory here and dropped below; they are never shown or logged.
    const projection = {
      state: 1,
      'data.requestId': 1,
      'data.tenantId': 1,
      'data.tenantName': 1,
      'data.deadline': 1,
      'data.receivedOn': 1,
      'data.jurisdiction': 1,
      'data.escalations': 1,
      'data.messages': 1,
    };
    // FerretDB v1 pushes an equality filter on `state` down to PostgreSQL, which then returns only
    // those documents; decoding the documents it returns is what costs (docs/console.md, "Query
    // cost"). All states: one query without a filter, rather than six.
    const queries = (states ?? [undefined]).map((state) =>
      cases
        .find(state ? { state } : {}, { projection })
        .limit(limit + 1)
        .toArray(),
    );
    const results = await Promise.all(queries);
    const partial = results.some((found) => found.length > limit);
    const documents = results.flatMap((found) => found.slice(0, limit));
    const facts = documents.map(({ _id, state: caseState, data }): CaseFacts => ({
      caseId: _id,
      state: caseState,
      requestId: data.requestId,
      tenantId: data.tenantId,
      ...(data.tenantName ? { tenantName: data.tenantName } : {}),
      jurisdiction: data.jurisdiction,
      receivedOn: data.receivedOn,
      deadline: data.deadline,
      escalations: (data.escalations ?? []).map((e) => ({ step: e.step, at: e.at })),
      messages: (data.messages ?? []).map((m) => ({
        intentAt: m.intentAt,
        ...(m.sentAt ? { sentAt: m.sentAt } : {}),
        delivery: m.delivery,
      })),
    }));
    return { cases: facts, partial };
  }
}
