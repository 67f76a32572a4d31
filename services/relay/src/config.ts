import { commonConfigSpec, envSchemas, type ConfigOf, type ConfigSpec } from '@privacy-relay/shared/config';
import { z } from 'zod';

/** Every variable the relay reads (the README table lists them). */
export const relayConfigSpec = {
  ...commonConfigSpec,
  host: {
    env: 'RELAY_HOST',
    schema: z.string().min(1),
    default: '0.0.0.0',
    doc: 'Address the relay HTTP server binds.',
  },
  port: { env: 'RELAY_PORT', schema: envSchemas.port, default: '3001', doc: 'Relay HTTP port (0 picks a free one).' },
  mongodbDatabase: {
    env: 'RELAY_MONGODB_DATABASE',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name'),
    default: 'privacy_relay',
    doc: "Database holding the relay's requests, cases and directory.",
  },
  kafkaGroupId: {
    env: 'RELAY_KAFKA_GROUP_ID',
    schema: z.string().min(1).max(200),
    default: 'privacy-relay',
    doc: 'Kafka consumer group of the relay.',
  },
  counterpartyHmacKey: {
    env: 'RELAY_COUNTERPARTY_HMAC_KEY',
    schema: z.string().min(32, 'must be at least 32 characters'),
    secret: true,
    doc: 'Required. Secret key of the HMAC-SHA256 under which counterparty emails are stored and looked up (at least 32 characters; changing it orphans every stored hash). `npm start` and the tests set a development key.',
  },
  directoryGroupId: {
    env: 'RELAY_DIRECTORY_GROUP_ID',
    schema: z.string().max(200),
    default: '',
    doc: 'Override of the Kafka consumer group reading `tenant.directory.changed.v1` into the in-memory matching index. Empty (the default): each instance makes its own group at start, `<RELAY_KAFKA_GROUP_ID>.directory.<uuid>`, and deletes it on a graceful stop, so every instance reads every partition. A set value must differ between instances (instances sharing it would each see only some changes); it keeps its offsets across restarts.',
  },
} satisfies ConfigSpec;

export type RelayConfig = ConfigOf<typeof relayConfigSpec>;
