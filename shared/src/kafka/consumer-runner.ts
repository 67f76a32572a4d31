import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { isRetriableError } from '../errors';
import { type AnyEventContractShape, type EnvelopeOf, deadLetterTopicName, topicName } from '../events';
import type { Logger } from '../logger';
import { scrubString } from '../logger';
import { counter } from './metrics';
import { withTimeout } from './with-timeout';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: IHeaders;
}

/** One topic and what to do with its events. Handlers must be idempotent: delivery is at least once. */
export interface ConsumerRoute<C extends AnyEventContractShape = AnyEventContractShape> {
  contract: C;
  handle(envelope: EnvelopeOf<C>, context: MessageContext): Promise<void>;
}

/** Keeps the contract and handler types tied together at the call site. */
export function route<C extends AnyEventContractShape>(
  contract: C,
  handle: (envelope: EnvelopeOf<C>, context: MessageContext) => Promise<void>,
): ConsumerRoute {
  return { contract, handle } as ConsumerRoute;
}

export interface RunConsumerOptions {
  kafka: Kafka;
  groupId: string;
  routes: readonly ConsumerRoute[];
  logger: Logger;
  topicPrefix?: string;
  /** Read topics from the beginning when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** Where to start in these partitions instead (committed on the first fetch after they are assigned). */
  seek?: readonly { topic: string; partition: number; offset: string }[];
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Longest a stop waits for the consumer to leave its group (default 10 s). */
  stopTimeoutMs?: number;
  /**
   * Longest the broker holds a fetch open while there is nothing to read (KafkaJS's
   * `maxWaitTimeInMs`, whose own default is 5 s). A stop waits for the fetch in flight, so this
   * bounds how long an idle consumer takes to stop (default 1 s; a message is handed over as soon as
   * it arrives whatever this is).
   */
  fetchMaxWaitMs?: number;
  /**
   * How long the group coordinator waits for a silent member before it gives its partitions to
   * others (KafkaJS's `sessionTimeout`, default 30 s; the broker allows 6 s to 300 s by default).
   * A member that was killed holds up its replacement's join by up to this long.
   */
  sessionTimeoutMs?: number;
  metrics?: Registry;
}

export interface ConsumerHandle {
  /** Finishes the message in hand (or abandons its retry), commits what succeeded, disconnects. */
  stop(): Promise<void>;
}

export const DEAD_LETTER_HEADERS = {
  reason: 'dead-letter-reason',
  errorCode: 'dead-letter-error-code',
  originalTopic: 'dead-letter-original-topic',
  originalPartition: 'dead-letter-original-partition',
  originalOffset: 'dead-letter-original-offset',
  consumerGroup: 'dead-letter-consumer-group',
  failedAt: 'dead-letter-failed-at',
} as const;

/** A message that cannot be processed however often it is tried. */
class PoisonMessageError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/**
 * Consumes the routes' topics. Each message is parsed with its contract and handed to its
 * handler; its offset is committed only after the handler succeeded. Retriable failures
 * (a dependency down) are retried with capped exponential backoff, in order, for as long as the
 * consumer runs, or, when the error bounds its attempts (`AppError.maxAttempts`), until that bound
 * and then dead-lettered, so that a refusal that may never clear does not hold up the partition
 * for ever; any other failure sends the message to the topic's dead-letter twin with the
 * reason, and the consumer goes on with the next message.
 */
export async function runConsumer(options: RunConsumerOptions): Promise<ConsumerHandle> {
  const prefix = options.topicPrefix ?? '';
  const routesByTopic = new Map(options.routes.map((r) => [topicName(r.contract, prefix), r]));
  const log = options.logger.child({ component: 'consumer', groupId: options.groupId });
  const initialDelayMs = options.retry?.initialDelayMs ?? 200;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const processed = counter(options.metrics, 'events_handled_total', 'Events handled successfully', ['topic']);
  const deadLettered = counter(options.metrics, 'events_dead_lettered_total', 'Events sent to a dead-letter topic', [
    'topic',
  ]);
  const retried = counter(options.metrics, 'event_retries_total', 'Retriable handler failures', ['topic']);

  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.fetchMaxWaitMs ?? 1000,
    ...(options.sessionTimeoutMs
      ? {
          sessionTimeout: options.sessionTimeoutMs,
          heartbeatInterval: Math.min(3000, Math.floor(options.sessionTimeoutMs / 3)),
        }
      : {}),
  });
  const deadLetterProducer: Producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const stopping = new AbortController();

  async function deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown): Promise<void> {
    const reason = scrubString(error instanceof Error ? error.message : String(error)).slice(0, 2000);
    await deadLetterProducer.send({
      topic: deadLetterTopicName(topic),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.errorCode]: errorCode(error),
            [DEAD_LETTER_HEADERS.originalTopic]: topic,
            [DEAD_LETTER_HEADERS.originalPartition]: String(partition),
            [DEAD_LETTER_HEADERS.originalOffset]: message.offset,
            [DEAD_LETTER_HEADERS.consumerGroup]: options.groupId,
            [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
    deadLettered?.inc({ topic });
    log.warn({ topic, partition, offset: message.offset, code: errorCode(error), reason }, 'event dead-lettered');
  }

  async function handle(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const target = routesByTopic.get(topic);
    if (!target) throw new PoisonMessageError(`no handler for topic ${topic}`, 'NO_ROUTE');
    let json: unknown;
    try {
      json = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch (error) {
      // Not the parser's message: V8 quotes the text around the error ("Unexpected token 'J',
      // …"name": Jane Doe…"), which may be personal data. Where it failed is enough.
      const position = /at position (\d+)/.exec((error as Error).message)?.[1];
      throw new PoisonMessageError(
        `malformed JSON${position === undefined ? '' : ` at position ${position}`}`,
        'MALFORMED_JSON',
      );
    }
    const envelope = target.contract.parse(json);
    await target.handle(envelope, {
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString('utf8') ?? null,
      headers: message.headers ?? {},
    });
  }

  /**
   * Runs `attempt` until it succeeds or the consumer stops; false when it stopped first. A
   * retriable error that bounds its attempts (`maxAttempts`) is thrown as exhausted at the bound.
   */
  async function retryWhileRunning(
    topic: string,
    payload: EachBatchPayload,
    attempt: () => Promise<void>,
  ): Promise<boolean> {
    let delay = initialDelayMs;
    for (let attempts = 1; ; attempts += 1) {
      try {
        await attempt();
        return true;
      } catch (error) {
        if (!isRetriableError(error) && !(error instanceof DeadLetterFailedError)) throw error;
        const bound = maxAttemptsOf(error);
        if (bound !== undefined && attempts >= bound) throw new RetriesExhaustedError(error, attempts);
        retried?.inc({ topic });
        log.warn({ topic, err: error, retryInMs: delay }, 'retriable failure; retrying');
        if (stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return false;
        await payload.heartbeat().catch(() => undefined);
        await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
        if (stopping.signal.aborted) return false;
        delay = Math.min(delay * 2, maxDelayMs);
      }
    }
  }

  await deadLetterProducer.connect();
  await consumer.connect();
  for (const topic of routesByTopic.keys()) {
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
  }
  const running = consumer.run({
    eachBatchAutoResolve: false,
    autoCommitThreshold: 1,
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (stopping.signal.aborted || !payload.isRunning() || payload.isStale()) return;
        let done: boolean;
        try {
          done = await retryWhileRunning(batch.topic, payload, () => handle(batch.topic, batch.partition, message));
          if (done) processed?.inc({ topic: batch.topic });
        } catch (error) {
          done = await retryWhileRunning(batch.topic, payload, () =>
            deadLetter(batch.topic, batch.partition, message, error).catch((sendError: unknown) => {
              throw new DeadLetterFailedError(sendError);
            }),
          );
        }
        if (!done) return; // stopping: the message stays uncommitted and comes back next time
        payload.resolveOffset(message.offset);
        await payload.commitOffsetsIfNecessary();
        await payload.heartbeat();
      }
    },
  });
  // Seeks must be in place before the group is joined, so before `run` settles, else the first
  // fetch may read from the committed (or first) offset.
  for (const position of options.seek ?? []) consumer.seek(position);
  await running;
  log.info({ topics: [...routesByTopic.keys()] }, 'consumer running');

  return {
    async stop() {
      stopping.abort();
      // After the broker was away KafkaJS can sit in a group rejoin for a session timeout (~30 s)
      // before it disconnects; a shutdown must not wait that long. What is not committed comes
      // back to the next consumer (handlers are idempotent).
      const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
      await withTimeout(
        Promise.all([consumer.disconnect(), deadLetterProducer.disconnect()]),
        stopTimeoutMs,
        'consumer disconnect',
      ).catch((error: unknown) =>
        log.warn({ err: error }, 'consumer did not leave its group in time; uncommitted messages will be redelivered'),
      );
      log.info('consumer stopped');
    },
  };
}

/** Sending to the dead-letter topic failed: Kafka trouble, so retried like any retriable error. */
class DeadLetterFailedError extends Error {
  constructor(cause: unknown) {
    super(`dead-letter send failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DeadLetterFailedError';
  }
}

/** A retriable failure that lasted for all the attempts its error allows: dead-lettered with its reason. */
class RetriesExhaustedError extends Error {
  readonly code: string;
  constructor(cause: unknown, attempts: number) {
    super(`${cause instanceof Error ? cause.message : String(cause)} (gave up after ${attempts} attempts)`, { cause });
    this.name = 'RetriesExhaustedError';
    this.code = errorCode(cause);
  }
}

function maxAttemptsOf(error: unknown): number | undefined {
  const bound = (error as { maxAttempts?: unknown } | null)?.maxAttempts;
  return typeof bound === 'number' && bound >= 1 ? bound : undefined;
}

function errorCode(error: unknown): string {
  if (error instanceof PoisonMessageError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN';
}
