import { z } from 'zod';
import { intakeRequestSchema } from '../../domain/intake-request';
import { escapeHtml, page } from './html';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the JSON API, its request schema generated from the shared zod schema. */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  const requestSchema = z.toJSONSchema(intakeRequestSchema, { io: 'input', unrepresentable: 'any' });
  delete (requestSchema as { $schema?: unknown }).$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Privacy Relay intake',
      version: '1',
      description:
        'Submit a data-protection request. The answer comes only once the request is durable; the requester ' +
        'then gets a receipt and a verification email, and the request is passed on once verified.',
    },
    servers: [{ url: publicUrl }],
    paths: {
      '/v1/requests': {
        post: {
          operationId: 'submitRequest',
          summary: 'Submit a request',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Up to 200 visible ASCII characters. Retrying with the same key (for the same requester email) ' +
                'returns the same reference and creates nothing new. Without it every call is a new request.',
              schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,200}$' },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/IntakeRequest' } } },
          },
          responses: {
            '202': {
              description: 'Accepted and durable. Check the requester mailbox for the verification link.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['reference', 'statusUrl'],
                    properties: {
                      reference: { type: 'string', example: 'PR-7K2M-Q9XD' },
                      statusUrl: { type: 'string', format: 'uri' },
                    },
                  },
                },
              },
            },
            '400': errorResponse('VALIDATION_FAILED, UNKNOWN_FIELD, MALFORMED_JSON, BAD_IDEMPOTENCY_KEY'),
            '422': errorResponse(
              'IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used for a request with other content',
            ),
            '413': errorResponse('BODY_TOO_LARGE'),
            '415': errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json (UTF-8)'),
            '429': errorResponse('RATE_LIMITED: too many requests from this address or for this email'),
            '503': errorResponse(
              'KAFKA_UNAVAILABLE: not confirmed; retry with the same Idempotency-Key (a retry never makes a second request)',
            ),
          },
        },
      },
    },
    components: { schemas: { IntakeRequest: requestSchema, Error: errorSchema } },
  };
}

/** /docs: the document made readable without any script (the page's CSP allows none from elsewhere). */
export function apiDocsPage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Record<string, { summary?: string; responses?: object }>>;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  return page(
    'Privacy Relay intake API',
    `<p>Machine-readable: <a href="/docs/openapi.json">OpenAPI 3.1 document</a>.</p>
${operations
  .map(
    ({ path, method, operation }) => `<h2>${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</h2>
<p>${escapeHtml(operation.summary ?? '')}</p>
<h3>Responses</h3>
<ul>${Object.entries(operation.responses ?? {})
      .map(
        ([status, response]) =>
          `<li>${escapeHtml(status)}: ${escapeHtml((response as { description?: string }).description ?? '')}</li>`,
      )
      .join('')}</ul>`,
  )
  .join('\n')}
<h2>Request body schema</h2>
<pre>${escapeHtml(JSON.stringify((document.components as { schemas: unknown }).schemas, null, 2))}</pre>`,
  );
}
