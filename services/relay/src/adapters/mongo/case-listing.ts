import type { Connection } from 'mongoose';
import type { CaseListing, CaseSummary } from '../../application/ports';
import type { CaseState, ForwardingCase } from '../../domain/case';

interface ListedCaseDocument {
  _id: string;
  state: CaseState;
  data: Pick<ForwardingCase, 'requestId' | 'tenantId' | 'tenantName' | 'deadline' | 'receivedOn'>;
}

/**
 * The console's list of cases in one state, read from the `cases` collection that
 * MongoCaseRepository writes (read-only here: every write goes through that repository). An
 * equality filter on the top-level `state`, which FerretDB v1 pushes down to PostgreSQL and there
 * scans (only `_id` is indexed); earliest deadline first, `limit` bounds what is read back.
 */
export class MongoCaseListing implements CaseListing {
  constructor(private readonly connection: Connection) {}

  async listByState(state: CaseState, limit: number): Promise<CaseSummary[]> {
    const documents = await this.connection
      .collection<ListedCaseDocument>('cases')
      .find(
        { state },
        {
          projection: {
            state: 1,
            'data.requestId': 1,
            'data.tenantId': 1,
            'data.tenantName': 1,
            'data.deadline': 1,
            'data.receivedOn': 1,
          },
        },
      )
      .sort({ 'data.deadline': 1, _id: 1 })
      .limit(limit)
      .toArray();
    return documents.map(({ _id, state: caseState, data }) => ({
      caseId: _id,
      state: caseState,
      requestId: data.requestId,
      tenantId: data.tenantId,
      ...(data.tenantName ? { tenantName: data.tenantName } : {}),
      receivedOn: data.receivedOn,
      deadline: data.deadline,
    }));
  }
}
