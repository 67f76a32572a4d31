import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { loadConfig, commonConfigSpec } from '@privacy-relay/shared/config';
import { isoDateTimeSchema } from '@privacy-relay/shared/events';
import { createKafkaClient, ensureTopics, KafkaEventPublisher } from '@privacy-relay/shared/kafka';
import { createLogger } from '@privacy-relay/shared/logger';
import { parseDirectoryFile } from '../application/directory-file';
import { publishDirectoryRows } from '../application/import-directory';
import { progressBar } from './progress';

/**
 * `relay directory import FILE [--format jsonl|csv] [--as-of TIME]`: validates every row first
 * and imports nothing if any is bad (each reported with its line number); then publishes one
 * `tenant.directory.changed.v1` per row, which every relay instance stores and indexes.
 * The version of each change comes from the data (the row's `changedAt`, else `--as-of`), never
 * from the time of the run: importing an older file again changes nothing that is newer and
 * revives no tenant deleted later.
 */
export async function runDirectoryImport(
  file: string,
  options: { format?: string; asOf?: string; env: NodeJS.ProcessEnv; out: (line: string) => void },
): Promise<number> {
  const format = (options.format ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'jsonl')) as 'csv' | 'jsonl';
  if (format !== 'csv' && format !== 'jsonl') {
    options.out(`unknown format ${String(options.format)}: use jsonl or csv`);
    return 2;
  }
  if (options.asOf !== undefined && !isoDateTimeSchema.safeParse(options.asOf).success) {
    options.out(`--as-of ${options.asOf}: not an ISO 8601 date-time with a zone (e.g. 2026-03-01T08:00:00Z)`);
    return 2;
  }
  const runAt = new Date();
  const { rows, errors } = parseDirectoryFile(readFileSync(file, 'utf8'), format, { asOf: options.asOf, now: runAt });
  if (errors.length > 0) {
    for (const error of errors) options.out(`${file}:${error.line}: ${error.message}`);
    options.out(`Nothing imported: ${errors.length} bad row(s), ${rows.length} good.`);
    return 1;
  }
  const config = loadConfig(commonConfigSpec, options.env);
  const logger = createLogger({ name: 'relay-import', level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: 'relay-directory-import', logger });
  if (config.kafkaCreateTopics) {
    await ensureTopics(kafka, {
      prefix: config.kafkaTopicPrefix,
      numPartitions: config.kafkaPartitions,
      replicationFactor: config.kafkaReplicationFactor,
    });
  }
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix: config.kafkaTopicPrefix, logger });
  await publisher.connect();
  const started = Date.now();
  const bar = progressBar('import', rows.length);
  const deleted = rows.filter(({ payload }) => payload.change === 'deleted').length;
  const counterparties = rows.reduce((sum, { payload }) => sum + (payload.counterpartyEmailsAdded?.length ?? 0), 0);
  let published = 0;
  try {
    await publishDirectoryRows(publisher, rows, `import:${runAt.toISOString()}`, (done) => {
      bar.increment(done - published);
      published = done;
    });
  } finally {
    bar.stop();
    await publisher.disconnect();
  }
  options.out(
    `Imported ${published - deleted} tenant(s) and ${deleted} deletion(s) with ${counterparties} counterparty address(es) from ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
  return 0;
}
