import type { RequestVerifiedV1 } from '@privacy-relay/shared/events';
import { MongoVerificationStore } from '@privacy-relay/intake/adapters/mongo/mongo-verification-store';
import { RequesterLinks } from '@privacy-relay/intake/application/requester-links';
import {
  MAX_CODE_ATTEMPTS,
  verifyByCode,
  verifyByLink,
  type VerifyDeps,
} from '@privacy-relay/intake/application/verify-request';
import { sameSecret, verificationCodeFor } from '@privacy-relay/shared/tokens';
import type { Connection } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { connectTestDatabase, discardTestDatabase, testLogger, testNamespace } from '../../../../test/support/test-env';

const SECRET = 'lockout-test-secret-0123456789abcdef0123';

describe('The code lockout against the real store: counted before compared, so it cannot be raced', () => {
  const ns = testNamespace('codelockout');
  let connection: Connection;
  let store: MongoVerificationStore;

  beforeAll(async () => {
    connection = await connectTestDatabase(ns.dbName, testLogger('code-lockout'));
    store = new MongoVerificationStore(connection);
  });

  afterAll(async () => {
    await discardTestDatabase(connection);
  });

  it('When 50 wrong codes arrive at once, then at most 5 are compared, and afterwards the right code is refused while the link still works', async () => {
    const now = new Date();
    const requestId = randomUUID();
    const expiresAt = new Date(now.getTime() + 3_600_000);
    await store.create({
      requestId,
      reference: 'PR-LOCK-0001',
      channel: 'api',
      rights: ['erasure'],
      receivedAt: now,
      status: 'pending',
      codeAttempts: 0,
      expiresAt,
    });
    const links = new RequesterLinks(SECRET, 'https://intake.test');
    const published: RequestVerifiedV1[] = [];
    let comparisons = 0;
    const deps: VerifyDeps = {
      verifications: store,
      clock: { now: () => new Date() },
      links,
      secret: SECRET,
      publisher: { publishVerified: async (event) => void published.push(event) },
      compareCode: (typed, expected) => {
        comparisons += 1;
        return sameSecret(typed, expected);
      },
    };
    const right = verificationCodeFor(SECRET, requestId);
    const wrong = right === '000000' ? '000001' : '000000';
    const statusToken = links.statusToken(requestId, now);

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () => verifyByCode(deps, statusToken, wrong).then((result) => result.outcome)),
    );

    // Exactly the five counted attempts were compared: none more, and none lost to the race.
    expect(comparisons).toBe(MAX_CODE_ATTEMPTS);
    expect(outcomes.filter((outcome) => outcome === 'wrong-code').length).toBeLessThanOrEqual(MAX_CODE_ATTEMPTS);
    expect(outcomes.every((outcome) => outcome === 'wrong-code' || outcome === 'locked')).toBe(true);
    const comparedBefore = comparisons;
    expect(await verifyByCode(deps, statusToken, right)).toEqual({ outcome: 'locked' });
    expect(comparisons).toBe(comparedBefore);
    expect(published).toEqual([]);

    expect(await verifyByLink(deps, links.verifyToken(requestId, expiresAt))).toMatchObject({ outcome: 'verified' });
    expect(published.map((event) => event.payload.requestId)).toEqual([requestId]);
  });
});
