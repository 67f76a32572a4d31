import { type z } from 'zod';
import { AppError } from '../errors';
import { type Envelope, type EnvelopeMeta, envelopeSchemaFor, newEventId } from './envelope';

/** Raised when bytes from Kafka or a caller's payload do not fit a contract. Never retriable. */
export class EventValidationError extends AppError {
  constructor(contract: string, issues: z.core.$ZodIssue[]) {
    super('EVENT_INVALID', `${contract}: ${describeIssues(issues)}`, {
      httpStatus: 400,
      retriable: false,
      details: { contract, issues: issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code })) },
    });
    this.name = 'EventValidationError';
  }
}

/** Issue paths and messages only: zod messages name expectations, never the received value. */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export interface EventContract<TType extends string, TVersion extends number, TPayload extends z.ZodType> {
  readonly type: TType;
  readonly version: TVersion;
  /** The Kafka topic, before any deployment prefix: `<type>.v<version>`. */
  readonly topic: `${TType}.v${TVersion}`;
  readonly description: string;
  readonly payloadSchema: TPayload;
  readonly envelopeSchema: ReturnType<typeof envelopeSchemaFor<TType, TVersion, TPayload>>;
  /** The partition key: all events of one request (or one tenant) stay in order. */
  keyOf(payload: z.output<TPayload>): string;
  /** Validates unknown input (a Kafka message, a fixture) into a typed envelope. */
  parse(input: unknown): Envelope<TType, TVersion, z.output<TPayload>>;
  /** Builds a fresh envelope around a payload, validating it first. */
  create(payload: z.input<TPayload>, meta: EnvelopeMeta): Envelope<TType, TVersion, z.output<TPayload>>;
}

/** Any contract, whatever its payload: what publishers and consumers accept. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEventContractShape = EventContract<string, number, any>;

export type PayloadOf<C> = C extends EventContract<string, number, infer P> ? z.output<P> : never;
export type EnvelopeOf<C> = C extends EventContract<infer T, infer V, infer P> ? Envelope<T, V, z.output<P>> : never;

export function defineEventContract<TType extends string, TVersion extends number, TPayload extends z.ZodType>(spec: {
  type: TType;
  version: TVersion;
  description: string;
  payload: TPayload;
  keyOf: (payload: z.output<TPayload>) => string;
}): EventContract<TType, TVersion, TPayload> {
  const envelopeSchema = envelopeSchemaFor(spec.type, spec.version, spec.payload);
  const name = `${spec.type}.v${spec.version}`;
  return Object.freeze({
    type: spec.type,
    version: spec.version,
    topic: `${spec.type}.v${spec.version}` as const,
    description: spec.description,
    payloadSchema: spec.payload,
    envelopeSchema,
    keyOf: spec.keyOf,
    parse(input: unknown) {
      const result = envelopeSchema.safeParse(input);
      if (!result.success) throw new EventValidationError(name, result.error.issues);
      return result.data as Envelope<TType, TVersion, z.output<TPayload>>;
    },
    create(payload: z.input<TPayload>, meta: EnvelopeMeta) {
      const parsed = spec.payload.safeParse(payload);
      if (!parsed.success) throw new EventValidationError(name, parsed.error.issues);
      return {
        id: meta.id ?? newEventId(),
        type: spec.type,
        version: spec.version,
        occurredAt: (meta.occurredAt ?? new Date()).toISOString(),
        correlationId: meta.correlationId,
        ...(meta.causationId ? { causationId: meta.causationId } : {}),
        payload: parsed.data,
      };
    },
  });
}
