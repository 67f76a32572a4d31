export {
  DEFAULT_RETENTION_POLICY,
  addDays,
  daysToSweep,
  retentionDaysAfter,
  utcDay,
  type RetentionDays,
  type RetentionPolicy,
} from './retention-days';
export {
  DEFAULT_MAX_RETENTION_DAYS_PER_SWEEP,
  RetentionSweep,
  RetentionSweeper,
  type RetentionCursorStore,
  type RetentionPhase,
  type RetentionSweepOptions,
  type RetentionSweepReport,
  type RetentionTarget,
} from './retention-sweep';
export { MongoRetentionCursorStore } from './mongo-retention-cursor';
export {
  MAX_IDS_PER_LIST_PART,
  MongoRetentionDayLists,
  listDueDays,
  retentionListKey,
  type DueDays,
  type RetentionDayListPart,
  type RetentionDayLists,
} from './retention-day-lists';
