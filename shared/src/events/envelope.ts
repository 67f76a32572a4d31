import { z } from 'zod';
import { v7 as uuidv7 } from 'uuid';
import { isoDateTimeSchema, uuidSchema } from './common';

/**
 * The envelope every event travels in. `type` and `version` name the contract; the payload is
 * validated by that contract's schema. Ids are UUIDv7 so they sort by creation time.
 */
export const envelopeBaseSchema = z.object({
  id: uuidSchema,
  type: z.string().min(1).max(200),
  version: z.number().int().positive(),
  occurredAt: isoDateTimeSchema,
  /** Shared by every event that stems from one request; the request id in practice. */
  correlationId: z.string().min(1).max(200),
  /** Id of the event that caused this one, when there is one. */
  causationId: z.string().min(1).max(200).optional(),
  payload: z.unknown(),
});

export interface Envelope<TType extends string = string, TVersion extends number = number, TPayload = unknown> {
  id: string;
  type: TType;
  version: TVersion;
  occurredAt: string;
  correlationId: string;
  causationId?: string | undefined;
  payload: TPayload;
}

export function envelopeSchemaFor<TType extends string, TVersion extends number, TPayload extends z.ZodType>(
  type: TType,
  version: TVersion,
  payload: TPayload,
) {
  return envelopeBaseSchema.extend({
    type: z.literal(type),
    version: z.literal(version),
    payload,
  });
}

export interface EnvelopeMeta {
  correlationId: string;
  causationId?: string | undefined;
  /** Injected by tests and by callers that own a clock. */
  occurredAt?: Date;
  id?: string;
}

export function newEventId(): string {
  return uuidv7();
}
