import { AppError } from '@privacy-relay/shared/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { MatchDecisionRepository } from '../../application/ports';
import { resolveTriage } from '../../application/resolve-triage';
import { triageQueueEntryOf } from '../../application/triage-decisions';
import { parseInput } from './parse-input';
import { operatorOf, requireOperator, type OperatorAuthenticator } from './operator-auth';
import type { Parameters0 } from './types';

const requestIdParams = z.object({ requestId: z.uuid() });
const queueQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();
// `.strict()`: the operator is whoever the bearer token names; a body that says otherwise
// (an `operatorId`, or any field we do not read) is refused rather than silently ignored.
const resolutionBody = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('assign'),
      tenantIds: z.array(z.string().min(1).max(128)).min(1).max(20),
    })
    .strict(),
  z.object({ action: z.literal('reject-as-spam') }).strict(),
]);

/**
 * The operator's triage API: the queue of requests waiting for an operator (the matcher's triage,
 * and requests back after "not ours", with the excluded tenants and why); the decision for a
 * request (candidates and reasons are in its triage event); and resolving it by assigning
 * tenants or rejecting it as spam.
 * Every route needs an operator's bearer token (`requireOperator`); the operator's id comes from it.
 */
export function registerTriageRoutes(
  app: FastifyInstance,
  deps: Parameters0<typeof resolveTriage> & {
    decisions: MatchDecisionRepository;
    authenticator: OperatorAuthenticator;
  },
): void {
  app.addHook('onRequest', requireOperator(deps.authenticator));
  app.get('/triage', async (request) => {
    const { limit } = parseInput(queueQuery, request.query, 'query');
    const waiting = await deps.decisions.listTriage(limit);
    return { entries: waiting.map(triageQueueEntryOf) };
  });

  app.get('/triage/:requestId', async (request) => {
    const { requestId } = parseInput(requestIdParams, request.params, 'path');
    const decision = await deps.decisions.find(requestId);
    if (!decision) throw new AppError('TRIAGE_NOT_FOUND', 'No decision for this request', { httpStatus: 404 });
    return {
      requestId,
      decision: decision.decision,
      decidedBy: decision.decidedBy,
      ...(decision.resolution ? { resolution: decision.resolution } : {}),
      explanation: decision.explanation,
      events: decision.events.map((e) => e.envelope),
      round: decision.round,
      excluded: triageQueueEntryOf(decision).excluded,
      history: decision.history,
    };
  });

  app.post('/triage/:requestId/resolve', async (request, reply) => {
    const { requestId } = parseInput(requestIdParams, request.params, 'path');
    const body = parseInput(resolutionBody, request.body, 'body');
    const resolved = await resolveTriage(deps, requestId, { ...body, operatorId: operatorOf(request) });
    // 202: stored, its events not yet on Kafka (the outbox sweeper publishes them).
    return reply.status(resolved.published ? 200 : 202).send({
      requestId,
      published: resolved.published,
      decision: resolved.decision,
      explanation: resolved.explanation,
      events: resolved.events.map((e) => e.envelope),
    });
  });
}
