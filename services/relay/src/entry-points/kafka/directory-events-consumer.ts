import { setTimeout as sleep } from 'node:timers/promises';
import { EVENTS, topicName } from '@privacy-relay/shared/events';
import {
  type ConsumerHandle,
  retryKafkaAdmin,
  type RunConsumerOptions,
  route,
  runConsumer,
} from '@privacy-relay/shared/kafka';
import type { Admin } from 'kafkajs';
import type { CounterpartyHasher, DirectoryPositions, TenantDirectoryRepository } from '../../application/ports';
import { applyDirectoryChange } from '../../application/tenant-directory';
import type { TenantIndex } from '../../domain/matching';

export interface DirectoryConsumerOptions extends Omit<RunConsumerOptions, 'routes' | 'fromBeginning'> {
  /** Positions recorded before the index was rebuilt: where a group without offsets starts. */
  appliedBeforeRebuild: ReadonlyMap<number, number>;
  /** Delete the consumer group once stopped (a group made for this instance alone). */
  deleteGroupOnStop: boolean;
  /** How often catching up is checked against the group's committed offsets (default 200 ms). */
  catchUpPollMs?: number;
}

export interface DirectoryConsumerHandle extends ConsumerHandle {
  /** Resolves once every change on the topic when the consumer started is applied; rejects if stopped first. */
  readonly caughtUp: Promise<void>;
  isCaughtUp(): boolean;
}

/**
 * Keeps the stored directory and this instance's matching index current from directory events.
 *
 * The group must be this instance's own, so that it reads every partition. A group without
 * committed offsets (a fresh one) seeks to just after the positions recorded before the index was
 * rebuilt: everything up to there was in the database the rebuild read, and replaying the rest
 * is harmless (changes are ordered by `changedAt`). The end offsets are measured as the consumer
 * starts; `caughtUp` resolves when the group has committed up to them.
 */
export async function startDirectoryEventsConsumer(
  options: DirectoryConsumerOptions,
  deps: {
    repository: TenantDirectoryRepository;
    index: TenantIndex;
    hasher: CounterpartyHasher;
    positions: DirectoryPositions;
  },
): Promise<DirectoryConsumerHandle> {
  const topic = topicName(EVENTS.tenantDirectoryChangedV1, options.topicPrefix ?? '');
  const log = options.logger.child({ component: 'directory-consumer', groupId: options.groupId });
  const admin = options.kafka.admin();
  await admin.connect();
  let consumer: ConsumerHandle | undefined;
  const positions = new PositionRecorder(deps.positions, topic);
  try {
    const { ends, seek } = await startingPoints(admin, options.groupId, topic, options.appliedBeforeRebuild);
    consumer = await runConsumer({
      ...options,
      seek,
      routes: [
        route(EVENTS.tenantDirectoryChangedV1, async (event, context) => {
          const { outcome } = await applyDirectoryChange(deps, event);
          await positions.applied(context.partition, Number(context.offset));
          log.info({ tenantId: event.payload.tenantId, change: event.payload.change, outcome }, 'directory changed');
        }),
      ],
    });
    const running = consumer;
    const stopping = new AbortController();
    let caughtUp = false;
    const started = Date.now();
    const caughtUpPromise = waitForCommitted(admin, options.groupId, topic, ends, {
      pollMs: options.catchUpPollMs ?? 200,
      signal: stopping.signal,
    }).then(() => {
      caughtUp = true;
      log.info({ ms: Date.now() - started }, 'directory caught up');
    });
    // A stop during start-up rejects it; the caller awaiting it hears of it, nobody else must.
    caughtUpPromise.catch(() => undefined);
    return {
      caughtUp: caughtUpPromise,
      isCaughtUp: () => caughtUp,
      async stop() {
        stopping.abort();
        await running.stop();
        await positions.flush().catch((error: unknown) => log.warn({ err: error }, 'directory positions not recorded'));
        if (options.deleteGroupOnStop) {
          await admin
            .deleteGroups([options.groupId])
            .then(() => log.info('directory consumer group deleted'))
            .catch((error: unknown) =>
              log.warn({ err: error }, 'directory consumer group not deleted; Kafka expires it once empty'),
            );
        }
        await admin.disconnect();
      },
    };
  } catch (error) {
    await consumer?.stop().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
}

/**
 * Where a group without committed offsets starts: just after the recorded position (within
 * what the topic still holds), or the topic's start. Also the end offsets, which are what
 * "caught up" means.
 */
async function startingPoints(
  admin: Admin,
  groupId: string,
  topic: string,
  applied: ReadonlyMap<number, number>,
): Promise<{
  ends: Map<number, { low: number; high: number }>;
  seek: { topic: string; partition: number; offset: string }[];
}> {
  const ends = new Map(
    (await retryKafkaAdmin(() => admin.fetchTopicOffsets(topic))).map((p) => [
      p.partition,
      { low: Number(p.low), high: Number(p.high) },
    ]),
  );
  const [committed] = await retryKafkaAdmin(() => admin.fetchOffsets({ groupId, topics: [topic] }));
  const unset = (committed?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition);
  const seek = [...ends]
    .filter(([partition]) => committed === undefined || unset.includes(partition))
    .map(([partition, { low, high }]) => {
      const next = (applied.get(partition) ?? -1) + 1;
      // Beyond the end: the topic was recreated since; replay what it holds.
      return { topic, partition, offset: String(next < low || next > high ? low : next) };
    });
  return { ends, seek };
}

async function waitForCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, { low: number; high: number }>,
  options: { pollMs: number; signal: AbortSignal },
): Promise<void> {
  for (;;) {
    options.signal.throwIfAborted();
    const [committed] = await retryKafkaAdmin(() => admin.fetchOffsets({ groupId, topics: [topic] }), {
      signal: options.signal,
    });
    const offsets = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    // A partition that holds nothing any more has nothing to catch up with.
    const behind = [...ends].filter(
      ([partition, { low, high }]) => high > low && (offsets.get(partition) ?? -1) < high,
    );
    if (behind.length === 0) return;
    await sleep(options.pollMs, undefined, { signal: options.signal });
  }
}

/**
 * Records positions now and then rather than after every change (a write each would double the
 * cost of applying the directory): a position is a lower bound, so one recorded late only
 * means a fresh instance replays a few changes more.
 */
export class PositionRecorder {
  private readonly highest = new Map<number, { offset: number; recorded?: number; at: number }>();

  constructor(
    private readonly positions: DirectoryPositions,
    private readonly topic: string,
    private readonly everyChanges = 100,
    private readonly everyMs = 1000,
  ) {}

  async applied(partition: number, offset: number): Promise<void> {
    const state = this.highest.get(partition) ?? { offset, at: 0 };
    state.offset = offset;
    this.highest.set(partition, state);
    const now = Date.now();
    if (
      state.recorded === undefined ||
      offset - state.recorded >= this.everyChanges ||
      now - state.at >= this.everyMs
    ) {
      await this.record(partition, state, now);
    }
  }

  /** Records what was applied since the last record (on stop). */
  async flush(): Promise<void> {
    for (const [partition, state] of this.highest) {
      if (state.recorded !== state.offset) await this.record(partition, state, Date.now());
    }
  }

  private async record(partition: number, state: { offset: number; recorded?: number; at: number }, now: number) {
    const offset = state.offset;
    await this.positions.recordApplied(this.topic, partition, String(offset));
    state.recorded = offset;
    state.at = now;
  }
}
