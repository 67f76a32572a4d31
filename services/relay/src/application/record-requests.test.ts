import { EVENTS } from '@privacy-relay/shared/events';
import type { RelayRequest } from '../domain/relay-request';
import type { RelayRequestRepository } from './ports';
import { recordReceivedRequest } from './record-received-request';
import { recordVerifiedRequest } from './record-verified-request';

class InMemoryRelayRequests implements RelayRequestRepository {
  readonly byId = new Map<string, RelayRequest>();
  async insertIfAbsent(request: RelayRequest) {
    if (this.byId.has(request.requestId)) return false;
    this.byId.set(request.requestId, request);
    return true;
  }
  async markVerified(requestId: string, verifiedAt: Date) {
    const request = this.byId.get(requestId);
    if (!request) return false;
    this.byId.set(requestId, { ...request, status: 'verified', verifiedAt });
    return true;
  }
  readonly early = new Map<string, Date>();
  async recordEarlyVerification(requestId: string, verifiedAt: Date) {
    if (!this.early.has(requestId)) this.early.set(requestId, verifiedAt);
  }
  async findEarlyVerification(requestId: string) {
    return this.early.get(requestId);
  }
  async findById(requestId: string) {
    return this.byId.get(requestId);
  }
}

const requestId = '0193a1c2-7d4e-7a10-9b7c-3f1e2d4c5b6a';
const received = (verification: 'pending' | 'verified') =>
  EVENTS.requestReceivedV1.create(
    {
      requestId,
      reference: 'PR-TEST-0001',
      idempotencyKey: 'k1',
      channel: 'email-ses',
      receivedAt: '2026-03-02T09:15:00.000Z',
      requester: { name: 'Ada', email: 'ada@example.org' },
      rights: ['erasure'],
      text: '',
      verification:
        verification === 'verified' ? { status: 'verified', method: 'ses-verdicts' } : { status: 'pending' },
    },
    { correlationId: requestId },
  );

describe('recording requests', () => {
  it('When a received event comes twice, then the request is stored once and the second says so', async () => {
    const repository = new InMemoryRelayRequests();
    expect(await recordReceivedRequest(repository, received('pending'))).toEqual({ stored: true, verified: false });
    expect(await recordReceivedRequest(repository, received('pending'))).toEqual({ stored: false, verified: false });
    expect(repository.byId.get(requestId)?.status).toBe('awaiting-verification');
  });

  it('When intake already verified the sender (SES verdicts), then the request is stored as verified', async () => {
    const repository = new InMemoryRelayRequests();
    await recordReceivedRequest(repository, received('verified'));
    expect(repository.byId.get(requestId)).toMatchObject({
      status: 'verified',
      verifiedAt: new Date('2026-03-02T09:15:00.000Z'),
    });
  });

  it('When the verified event comes before the received one (two topics), then neither waits and the request ends verified', async () => {
    const repository = new InMemoryRelayRequests();
    const verified = EVENTS.requestVerifiedV1.create(
      { requestId, verifiedAt: '2026-03-02T09:20:00.000Z', method: 'email-link' },
      { correlationId: requestId },
    );
    expect(await recordVerifiedRequest(repository, verified)).toEqual({ known: false });
    expect(await recordReceivedRequest(repository, received('pending'))).toEqual({ stored: true, verified: true });
    expect(repository.byId.get(requestId)).toMatchObject({
      status: 'verified',
      verifiedAt: new Date('2026-03-02T09:20:00.000Z'),
    });
    // A redelivered verified event now finds the request.
    expect(await recordVerifiedRequest(repository, verified)).toEqual({ known: true });
  });

  it('When the received event comes first, then the verified one marks it and says it is known', async () => {
    const repository = new InMemoryRelayRequests();
    await recordReceivedRequest(repository, received('pending'));
    const verified = EVENTS.requestVerifiedV1.create(
      { requestId, verifiedAt: '2026-03-02T09:20:00.000Z', method: 'email-link' },
      { correlationId: requestId },
    );
    expect(await recordVerifiedRequest(repository, verified)).toEqual({ known: true });
    expect(repository.byId.get(requestId)?.status).toBe('verified');
    expect(repository.early.size).toBe(0);
  });
});
