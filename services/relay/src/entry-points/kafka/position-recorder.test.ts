import type { DirectoryPositions } from '../../application/ports';
import { PositionRecorder } from './directory-events-consumer';

/** Keeps recorded positions with `$max`, like the Mongo adapter. */
class InMemoryPositions implements DirectoryPositions {
  readonly recorded = new Map<number, number>();
  writes = 0;
  async recordApplied(_topic: string, partition: number, offset: string): Promise<void> {
    this.writes++;
    this.recorded.set(partition, Math.max(this.recorded.get(partition) ?? -1, Number(offset)));
  }
  async appliedOffsets(): Promise<Map<number, number>> {
    return new Map(this.recorded);
  }
}

describe('PositionRecorder', () => {
  it('When changes are applied in a burst, then a position is written now and then, and a stop records the last one', async () => {
    const positions = new InMemoryPositions();
    const recorder = new PositionRecorder(positions, 'topic', 100, 60_000);
    for (let offset = 0; offset < 250; offset++) await recorder.applied(0, offset);
    await recorder.applied(1, 7);
    expect(positions.recorded).toEqual(
      new Map([
        [0, 200],
        [1, 7],
      ]),
    );
    expect(positions.writes).toBe(4);

    await recorder.flush();
    expect(positions.recorded).toEqual(
      new Map([
        [0, 249],
        [1, 7],
      ]),
    );
    expect(positions.writes).toBe(5);
  });
});
