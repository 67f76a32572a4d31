import { z } from 'zod';

/**
 * An Amazon SNS message as POSTed to an HTTP(S) subscription
 * (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html). Not strict: SNS may add
 * fields, and those are not signed anyway.
 */
export const snsMessageSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1).max(400),
  Subject: z.string().max(1000).nullish(),
  Message: z.string().max(4_000_000),
  Timestamp: z.string().min(1).max(64),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(2048),
  SubscribeURL: z.string().max(4096).optional(),
  Token: z.string().max(4096).optional(),
  UnsubscribeURL: z.string().max(4096).optional(),
});
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/**
 * The exact bytes SNS signed: chosen fields in byte order, each as `Name\nvalue\n`. Subject only
 * when the message has one; SubscribeURL and Token only on (un)subscribe confirmations.
 */
export function snsStringToSign(message: SnsMessage): string {
  const fields: Array<[string, string | null | undefined]> =
    message.Type === 'Notification'
      ? [
          ['Message', message.Message],
          ['MessageId', message.MessageId],
          ['Subject', message.Subject],
          ['Timestamp', message.Timestamp],
          ['TopicArn', message.TopicArn],
          ['Type', message.Type],
        ]
      : [
          ['Message', message.Message],
          ['MessageId', message.MessageId],
          ['SubscribeURL', message.SubscribeURL],
          ['Timestamp', message.Timestamp],
          ['Token', message.Token],
          ['TopicArn', message.TopicArn],
          ['Type', message.Type],
        ];
  return fields
    .filter((field): field is [string, string] => typeof field[1] === 'string')
    .map(([name, value]) => `${name}\n${value}\n`)
    .join('');
}

const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?$/;

/**
 * The URL when it is https on an Amazon SNS regional host (`sns.<region>.amazonaws.com`), no
 * credentials and the default port; undefined otherwise. Guards both the signing-certificate
 * fetch and the subscription confirmation against being pointed anywhere else.
 */
export function snsHostUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return undefined;
  return SNS_HOST.test(url.hostname) ? url : undefined;
}
