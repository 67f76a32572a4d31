import { emailSchema, isoDateTimeSchema, uuidSchema, type MailEventV1Payload } from '@privacy-relay/shared/events';
import { z } from 'zod';

/**
 * An SES event notification as SNS carries it: configuration-set event publishing (`eventType`,
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html) or an
 * identity's feedback notification (`notificationType`: Bounce, Complaint, Delivery). Not strict:
 * SES adds fields; only what the relay needs is read.
 */
const recipientSchema = z.object({ emailAddress: z.string().max(1000) }).loose();
const timestamped = { timestamp: z.string().max(64).optional() };

export const sesEventNotificationSchema = z
  .object({
    eventType: z.string().max(100).optional(),
    notificationType: z.string().max(100).optional(),
    mail: z
      .object({
        messageId: z.string().min(1).max(200),
        timestamp: z.string().max(64).optional(),
        destination: z.array(z.string().max(1000)).max(100).optional(),
        /** Event publishing only: the message's tags, each a list of values. */
        tags: z.record(z.string(), z.array(z.string().max(256)).max(10)).optional(),
      })
      .loose()
      // SES's own notices (AmazonSnsSubscriptionSucceeded) carry no mail.
      .optional(),
    bounce: z
      .object({
        bounceType: z.string().max(64).optional(),
        bounceSubType: z.string().max(64).optional(),
        bouncedRecipients: z.array(recipientSchema).max(100).optional(),
        ...timestamped,
      })
      .loose()
      .optional(),
    complaint: z
      .object({ complainedRecipients: z.array(recipientSchema).max(100).optional(), ...timestamped })
      .loose()
      .optional(),
    delivery: z
      .object({ recipients: z.array(z.string().max(1000)).max(100).optional(), ...timestamped })
      .loose()
      .optional(),
    deliveryDelay: z
      .object({ delayedRecipients: z.array(recipientSchema).max(100).optional(), ...timestamped })
      .loose()
      .optional(),
  })
  .loose();
export type SesEventNotification = z.infer<typeof sesEventNotificationSchema>;

/** The SES event types that become a `privacy.mail.event` and the status each maps to. */
const STATUS_OF = {
  Send: 'sent',
  Delivery: 'delivered',
  Bounce: 'bounced',
  Complaint: 'complained',
  Reject: 'rejected',
  DeliveryDelay: 'delayed',
  RenderingFailure: 'rendering-failed',
} as const satisfies Record<string, MailEventV1Payload['status']>;
type MappedType = keyof typeof STATUS_OF;
const isMapped = (type: string): type is MappedType => Object.hasOwn(STATUS_OF, type);

export type SesEventMapping =
  | { kind: 'event'; payload: MailEventV1Payload }
  /** Not a delivery fact the relay acts on (Open, Click, SES's subscription notice, …). */
  | { kind: 'ignored'; eventType: string }
  /** A delivery event without the mail it is about. */
  | { kind: 'malformed' };

/**
 * Maps one SES event notification to a `privacy.mail.event` payload. The event is dated by its
 * own timestamp (bounce, complaint, delivery, delay); Send, Reject and RenderingFailure happen at
 * the send itself, so they take the mail's timestamp; failing both, SNS's publish time. Tags
 * `caseId`, `requestId` and `contactIndex` tie the event to its case and contact; a tag that does
 * not fit is left out (the SES message id still identifies the message).
 */
export function mailEventFromSesNotification(
  notification: SesEventNotification,
  sns: { messageId: string; timestamp: string },
): SesEventMapping {
  const eventType = notification.eventType ?? notification.notificationType ?? '';
  if (!isMapped(eventType)) return { kind: 'ignored', eventType: sanitizeType(eventType) };
  const status = STATUS_OF[eventType];
  const { mail } = notification;
  if (!mail) return { kind: 'malformed' };

  const own = {
    Bounce: notification.bounce?.timestamp,
    Complaint: notification.complaint?.timestamp,
    Delivery: notification.delivery?.timestamp,
    DeliveryDelay: notification.deliveryDelay?.timestamp,
    Send: mail.timestamp,
    Reject: mail.timestamp,
    RenderingFailure: mail.timestamp,
  }[eventType];
  const occurredAt = [own, sns.timestamp].find((value) => isoDateTimeSchema.safeParse(value).success);

  const recipients = {
    Bounce: notification.bounce?.bouncedRecipients?.map((recipient) => recipient.emailAddress),
    Complaint: notification.complaint?.complainedRecipients?.map((recipient) => recipient.emailAddress),
    Delivery: notification.delivery?.recipients,
    DeliveryDelay: notification.deliveryDelay?.delayedRecipients?.map((recipient) => recipient.emailAddress),
    Send: mail.destination,
    Reject: mail.destination,
    RenderingFailure: mail.destination,
  }[eventType];

  const tag = (name: string) => mail.tags?.[name]?.[0];
  const caseId = uuidSchema.safeParse(tag('caseId'));
  const requestId = uuidSchema.safeParse(tag('requestId'));
  const contactIndex = z.coerce.number().int().min(0).max(999).safeParse(tag('contactIndex'));
  const bounceType = z.enum(['Permanent', 'Transient', 'Undetermined']).safeParse(notification.bounce?.bounceType);
  const bounceSubType = z
    .string()
    .regex(/^[A-Za-z]{1,64}$/)
    .safeParse(notification.bounce?.bounceSubType);
  const validRecipients = (recipients ?? [])
    .map((address) => address.trim().toLowerCase())
    .filter((address) => emailSchema.safeParse(address).success)
    .slice(0, 50);

  return {
    kind: 'event',
    payload: {
      sesMessageId: mail.messageId,
      status,
      occurredAt: occurredAt ?? sns.timestamp,
      snsMessageId: sns.messageId,
      sesEventType: eventType,
      ...(caseId.success && tag('caseId') !== undefined ? { caseId: caseId.data } : {}),
      ...(requestId.success && tag('requestId') !== undefined ? { requestId: requestId.data } : {}),
      ...(contactIndex.success && tag('contactIndex') !== undefined ? { contactIndex: contactIndex.data } : {}),
      ...(eventType === 'Bounce' && bounceType.success ? { bounceType: bounceType.data } : {}),
      ...(eventType === 'Bounce' && bounceSubType.success ? { bounceSubType: bounceSubType.data } : {}),
      ...(validRecipients.length ? { recipients: validRecipients } : {}),
    },
  };
}

/** An unknown type is logged: keep it to a short word, whatever was sent. */
function sanitizeType(type: string): string {
  return type.replace(/[^A-Za-z]/g, '').slice(0, 40) || '(none)';
}
