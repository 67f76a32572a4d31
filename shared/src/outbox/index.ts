export { MongoOutbox, outboxBatchOf, outboxSchemaFields, pendingOutbox, publishOutboxEvents } from './outbox';
export type { OutboxEvent, OutboxFields, OutboxSource, PendingOutbox } from './outbox';
export { OutboxSweeper } from './outbox-sweeper';
export type { OutboxSweeperOptions } from './outbox-sweeper';
