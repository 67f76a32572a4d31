import { AppError } from '@privacy-relay/shared/errors';
import { EXTENSION_REASON_MAX } from '@privacy-relay/shared/events';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForwardingDeps } from '../../application/forward-case';
import { extendCase } from '../../application/extend-case';
import { changeContact, resendCase, type OperatorRefusal } from '../../application/operate-case';
import type { StoredCase } from '../../application/ports';
import { parseInput } from './parse-input';
import { operatorOf, requireOperator, type OperatorAuthenticator } from './operator-auth';

// `.strict()` everywhere: the operator is whoever the bearer token names, and a field (or query
// parameter) we do not read is refused rather than silently ignored.
const caseParams = z.object({ caseId: z.uuid() }).strict();
const contactParams = z
  .object({ caseId: z.uuid(), index: z.string().regex(/^\d{1,4}$/, 'must be a contact index (0, 1, …)') })
  .strict();
const caseQuery = z.object({ evidence: z.enum(['0', '1']).optional() }).strict();
const listQuery = z.object({ requestId: z.uuid() }).strict();
const resendBody = z.object({ contactIndex: z.number().int().min(0).max(9999).optional() }).strict();
const contactBody = z.object({ email: z.email().max(254) }).strict();
// Bounds and trimming are the domain's (checkExtensionReason): one rule for the API and the admin link.
const extensionBody = z.object({ reason: z.string().max(10_000) }).strict();

const REFUSALS: Record<OperatorRefusal, { status: number; code: string; message: string }> = {
  'not-found': { status: 404, code: 'CASE_NOT_FOUND', message: 'No such case' },
  'contact-not-found': { status: 404, code: 'CONTACT_NOT_FOUND', message: 'The case has no contact at this index' },
  closed: { status: 409, code: 'CASE_CLOSED', message: 'The case is closed: nothing more is sent or changed' },
  'contact-stopped': {
    status: 409,
    code: 'CONTACT_STOPPED',
    message: 'This contact complained about our mail: nothing more is sent to it (change its address first)',
  },
  'send-under-way': {
    status: 409,
    code: 'SEND_UNDER_WAY',
    message: 'Another send of this case is under way; try again once it is recorded',
  },
};

function refuse(outcome: OperatorRefusal): never {
  const { status, code, message } = REFUSALS[outcome];
  throw new AppError(code, message, { httpStatus: status });
}

/** SES's answer to an operator's send, as the route's status: a refusal for good is 422, SES away 503. */
function sendFailed(error: unknown): never {
  if (error instanceof AppError && error.code.startsWith('MAIL_')) {
    if (error.retriable)
      throw new AppError(
        error.code,
        'SES did not take the mail now; the send is recorded as begun: ask again to finish it',
        { httpStatus: 503, retriable: true },
      );
    throw new AppError(
      error.code,
      'SES refused the mail for good: the message is recorded as rejected and the case moved on like after a permanent bounce',
      { httpStatus: 422 },
    );
  }
  throw error;
}

/** The case as the operator API shows it; the raw SNS notifications only when asked for. */
function caseView({ case: c, version }: StoredCase, withEvidence: boolean) {
  const { evidence, contacts, ...rest } = c;
  return {
    ...rest,
    version,
    contacts: contacts.map((contact, index) => ({ index, ...contact })),
    ...(withEvidence ? { evidence: evidence ?? [] } : {}),
  };
}

/**
 * The operator's case API: a case with its messages, delivery states, contacts and audit trail; a
 * request's cases; re-send; change a contact. Every route needs an operator's bearer token
 * (`requireOperator`); the operator's id comes from it and is what the audit lines name.
 */
export function registerCaseRoutes(
  app: FastifyInstance,
  deps: ForwardingDeps & { authenticator: OperatorAuthenticator },
): void {
  app.addHook('onRequest', requireOperator(deps.authenticator));

  app.get('/v1/cases', async (request) => {
    const { requestId } = parseInput(listQuery, request.query, 'query');
    const cases = await deps.cases.listByRequest(requestId);
    return {
      requestId,
      cases: cases.map(({ case: c }) => ({
        caseId: c.caseId,
        tenantId: c.tenantId,
        state: c.state,
        deadline: c.deadline,
        extendedDeadline: c.extendedDeadline,
        ...(c.originalDeadline ? { originalDeadline: c.originalDeadline } : {}),
      })),
    };
  });

  app.get('/v1/cases/:caseId', async (request) => {
    const { caseId } = parseInput(caseParams, request.params, 'path');
    const { evidence } = parseInput(caseQuery, request.query, 'query');
    const stored = await deps.cases.find(caseId);
    if (!stored) refuse('not-found');
    return caseView(stored, evidence === '1');
  });

  app.post('/v1/cases/:caseId/resend', async (request) => {
    const { caseId } = parseInput(caseParams, request.params, 'path');
    const { contactIndex } = parseInput(resendBody, request.body ?? {}, 'body');
    const operatorId = operatorOf(request);
    const result = await resendCase(deps, caseId, contactIndex, operatorId).catch(sendFailed);
    request.log.info({ caseId, contactIndex, operatorId, outcome: result.outcome }, 'operator re-send');
    if (result.outcome !== 'sent') refuse(result.outcome);
    return { caseId, ...result };
  });

  app.put('/v1/cases/:caseId/contacts/:index', async (request) => {
    const { caseId, index } = parseInput(contactParams, request.params, 'path');
    const { email } = parseInput(contactBody, request.body, 'body');
    const operatorId = operatorOf(request);
    const contactIndex = Number(index);
    const result = await changeContact(deps, caseId, contactIndex, email, operatorId).catch(sendFailed);
    // Never the address: ids and the outcome only.
    request.log.info({ caseId, contactIndex, operatorId, outcome: result.outcome }, 'operator changed a contact');
    if (result.outcome !== 'changed' && result.outcome !== 'unchanged') refuse(result.outcome);
    return { caseId, contactIndex, ...result };
  });

  app.post('/v1/cases/:caseId/extension', async (request) => {
    const { caseId } = parseInput(caseParams, request.params, 'path');
    const { reason } = parseInput(extensionBody, request.body, 'body');
    const operatorId = operatorOf(request);
    const result = await extendCase(deps, caseId, reason, { kind: 'operator', operatorId });
    // Never the reason (free text): ids and the outcome only.
    request.log.info({ caseId, operatorId, outcome: result.outcome }, 'operator extension');
    switch (result.outcome) {
      case 'extended': {
        const { deadline, originalDeadline, extension } = result.case;
        return { caseId, outcome: 'extended', deadline, originalDeadline, extendedAt: extension?.at };
      }
      case 'invalid-reason':
        throw new AppError(
          'INVALID_INPUT',
          result.problem === 'empty'
            ? 'body: reason must not be empty'
            : `body: reason must be at most ${EXTENSION_REASON_MAX} characters`,
          { httpStatus: 400 },
        );
      case 'already':
        throw new AppError(
          'ALREADY_EXTENDED',
          `The deadline was already extended (to ${result.extension.to}, at ${result.extension.at}); a case is extended once`,
          { httpStatus: 409 },
        );
      case 'deadline-passed':
        throw new AppError(
          'DEADLINE_PASSED',
          `The original deadline (${result.deadline}) has passed in the case's jurisdiction: it can no longer be extended`,
          { httpStatus: 409 },
        );
      case 'not-allowed':
        if (result.case.state === 'matched')
          throw new AppError('NOT_FORWARDED', 'The case has not reached the tenant yet: nothing to extend', {
            httpStatus: 409,
          });
        return refuse('closed');
      case 'not-found':
        return refuse('not-found');
    }
  });
}
