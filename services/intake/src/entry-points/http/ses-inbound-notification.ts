import { z } from 'zod';

const verdict = z
  .object({ status: z.string().max(64) })
  .partial()
  .optional();

/**
 * The part of an SES receipt notification (`notificationType: "Received"`, delivered by a receipt
 * rule's SNS action) that intake reads: the verdicts and the raw MIME in `content`. Loose, because
 * SES adds fields over time and the rest is not ours to judge.
 */
export const sesReceivedNotificationSchema = z.object({
  notificationType: z.string().max(100),
  receipt: z
    .object({
      spfVerdict: verdict,
      dkimVerdict: verdict,
      dmarcVerdict: verdict,
      spamVerdict: verdict,
      virusVerdict: verdict,
      action: z.object({ type: z.string().max(50).optional(), encoding: z.string().max(20).optional() }).optional(),
    })
    .optional(),
  /** The whole mail, as SES received it (up to 150 KB; larger mail goes through S3 and has no content here). */
  content: z.string().optional(),
});
export type SesReceivedNotification = z.infer<typeof sesReceivedNotificationSchema>;

/** The raw MIME bytes of the notification: SES sends them as UTF-8 text or, if so configured, Base64. */
export function rawMimeOf(notification: SesReceivedNotification): Buffer | undefined {
  if (notification.content === undefined || notification.content.length === 0) return undefined;
  return notification.receipt?.action?.encoding?.toUpperCase() === 'BASE64'
    ? Buffer.from(notification.content, 'base64')
    : Buffer.from(notification.content, 'utf8');
}
