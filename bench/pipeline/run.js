// @ts-check
/**
 * The pipeline end to end: POST /v1/requests on intake (202) → acknowledgement mail with the
 * verification link (SES endpoint) → the bench confirms at once (POST /verify/:token, as a
 * requester who clicks straight away) → privacy.request.verified.v1 → the relay matches and
 * forwards → SES SendEmail to the tenant's first privacy contact. Both services run as real
 * processes (services/<svc>/dist/main.js) against the same servers.
 *
 * Prints requests per second and p50/p99 from intake's 202 to the forward's SES send (the case's
 * `sentAt`, stored by the relay right after SES answered: the SES endpoint's store dates mails in
 * whole seconds only), and from the confirmation to the send; the store writes per forwarded
 * request, per collection, counted by PostgreSQL under FerretDB (pg_stat_user_tables n_tup_ins +
 * n_tup_upd + n_tup_del of each collection's table: what reached the store, whichever code path
 * wrote it); and the store's own ceiling measured in the same run against the same FerretDB
 * (plain single-document inserts and updates by _id, 8 concurrent clients), and the ratio.
 *
 *   npm run bench:pipeline
 *
 * BENCH_REQUESTS (400), BENCH_CONCURRENCY (16), BENCH_TENANTS (20), BENCH_MAIL_RATE (1000,
 * INTAKE_MAIL_RATE_PER_SECOND), BENCH_CEILING_OPS (3000 of each kind). Uses KAFKA_BROKERS /
 * MONGODB_URI / SES_ENDPOINT when all three are set, else starts the local stack (infra); the
 * write counts need the PostgreSQL under FerretDB: BENCH_POSTGRES_URL
 * (postgres://postgres@127.0.0.1:PORT/ferretdb; read from the stack's state when the bench started it).
 * Not part of `npm test`.
 */
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const { setTimeout: pause } = require('node:timers/promises');
const { MongoClient } = require('mongodb');
const { startLocalStack } = require('@privacy-relay/infra');
const { EVENTS } = require('@privacy-relay/shared/events');
const { KafkaEventPublisher, createKafkaClient, ensureTopics } = require('@privacy-relay/shared/kafka');
const { createLogger } = require('@privacy-relay/shared/logger');
const { startServiceProcess } = require('../../test/dist/test/support/relay-process.js');
const { freePort } = require('../../test/dist/test/support/test-env.js');
const { TEST_EVIDENCE_SIGNING_KEY } = require('../../test/dist/test/support/relay-env.js');

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 20);
const MAIL_RATE = String(process.env.BENCH_MAIL_RATE ?? 1000);
const CEILING_OPS = Number(process.env.BENCH_CEILING_OPS ?? 3000);
const TARGET_WRITES = 3;
const WORDS = ['Quillfeather', 'Bramblecourt', 'Marrowgate', 'Thistlewick', 'Ravensholm', 'Copperlane', 'Wyndhollow'];
const TRADES = ['Analytics', 'Logistics', 'Bakeries', 'Outfitters'];

const { fetch } = globalThis;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Writes per collection of one database, as PostgreSQL counted them (FerretDB: one table per collection). */
function tableWrites(postgresUrl, database) {
  const rows = execFileSync(
    'psql',
    [
      postgresUrl,
      '-Atc',
      `select relname, n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables where schemaname = '${database}'`,
    ],
    { encoding: 'utf8' },
  );
  /** @type {Map<string, { ins: number, upd: number, del: number }>} */
  const writes = new Map();
  for (const line of rows.trim().split('\n').filter(Boolean)) {
    const [table = '', ins, upd, del] = line.split('|');
    // FerretDB names a collection's table `<collection>_<8 hex of a hash>`.
    const collection = table.replace(/_[0-9a-f]{8}$/, '');
    writes.set(collection, { ins: Number(ins), upd: Number(upd), del: Number(del) });
  }
  return writes;
}

/** Runs `count` operations from `clients` concurrent loops; returns operations per second. */
async function measureRate(count, clients, operation) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await operation(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function main() {
  const fromEnv = process.env.KAFKA_BROKERS && process.env.MONGODB_URI && process.env.SES_ENDPOINT;
  const stack = fromEnv
    ? undefined
    : await startLocalStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  const endpoints = stack ?? {
    kafkaBrokers: String(process.env.KAFKA_BROKERS),
    mongodbUri: String(process.env.MONGODB_URI),
    sesEndpoint: String(process.env.SES_ENDPOINT),
  };
  let postgresUrl = process.env.BENCH_POSTGRES_URL;
  if (!postgresUrl && stack) {
    const { readStackState } = require('@privacy-relay/infra/dist/stack-state.js');
    const port = readStackState(stack.runDir)?.servers?.postgres?.port;
    if (port) postgresUrl = `postgres://postgres@127.0.0.1:${port}/ferretdb`;
  }
  try {
    await bench(endpoints, postgresUrl);
  } finally {
    await stack?.stop();
  }
}

async function bench(endpoints, postgresUrl) {
  const run = randomBytes(4).toString('hex');
  const topicPrefix = `bench.pipe${run}.`;
  const relayDb = `bench_relay_${run}`;
  const intakeDb = `bench_intake_${run}`;
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const kafka = createKafkaClient({ brokers: endpoints.kafkaBrokers.split(','), clientId: 'bench', logger });
  await ensureTopics(kafka, { prefix: topicPrefix, numPartitions: 3, replicationFactor: 1 });
  const publisher = new KafkaEventPublisher(kafka, { topicPrefix, logger });
  await publisher.connect();
  const tenants = Array.from({ length: TENANTS }, (_, i) => ({
    tenantId: `bench-${run}-${i}`,
    legalName: `${WORDS[i % WORDS.length]} ${TRADES[Math.floor(i / WORDS.length) % TRADES.length]} ${i} Ltd`,
    domain: `t${i}-${run}.bench.example`,
  }));
  for (const tenant of tenants) {
    await publisher.publish(
      EVENTS.tenantDirectoryChangedV1,
      EVENTS.tenantDirectoryChangedV1.create(
        {
          tenantId: tenant.tenantId,
          changedAt: new Date().toISOString(),
          change: 'upserted',
          tenant: {
            legalName: tenant.legalName,
            aliases: [],
            domains: [tenant.domain],
            contacts: [{ email: `privacy@${tenant.domain}`, role: 'privacy' }],
            regime: 'uk-gdpr',
          },
        },
        { correlationId: tenant.tenantId },
      ),
    );
  }
  await publisher.disconnect();

  const common = {
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    MONGODB_URI: endpoints.mongodbUri,
    SES_ENDPOINT: endpoints.sesEndpoint,
    LOG_LEVEL: 'warn',
  };
  const intakePort = await freePort();
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  const relay = startServiceProcess('relay', {
    ...common,
    RELAY_MONGODB_DATABASE: relayDb,
    RELAY_KAFKA_GROUP_ID: `bench-relay-${run}`,
    RELAY_COUNTERPARTY_HMAC_KEY: 'bench-counterparty-key-0123456789-0123456789',
    RELAY_LINK_SECRET: 'bench-relay-link-secret-0123456789-0123456789',
    RELAY_PUBLIC_URL: 'https://relay.bench.example',
    RELAY_MAIL_FROM: 'relay@relay.test',
    RELAY_PORT: '0',
    RELAY_EVIDENCE_SIGNING_KEY: TEST_EVIDENCE_SIGNING_KEY,
    RELAY_EVIDENCE_DIR: join(tmpdir(), 'privacy-relay-bench-evidence', run),
  });
  const intake = startServiceProcess('intake', {
    ...common,
    INTAKE_MONGODB_DATABASE: intakeDb,
    INTAKE_KAFKA_GROUP_ID: `bench-intake-${run}`,
    INTAKE_LINK_SECRET: 'bench-link-secret-0123456789abcdef0123456789',
    INTAKE_PUBLIC_URL: intakeUrl,
    INTAKE_HOST: '127.0.0.1',
    INTAKE_PORT: String(intakePort),
    INTAKE_ADMIN_PORT: '0',
    INTAKE_MAIL_RATE_PER_SECOND: MAIL_RATE,
    INTAKE_RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
    INTAKE_RATE_LIMIT_PER_EMAIL_PER_HOUR: '100000000',
  });
  const mongo = new MongoClient(endpoints.mongodbUri);
  await mongo.connect();
  try {
    await Promise.all([relay.ready, intake.ready]);
    process.stderr.write(`[bench] intake and relay started; ${REQUESTS} requests at ${CONCURRENCY} concurrent\n`);
    const startedEpochS = Math.floor(Date.now() / 1000) - 1;
    const emailOf = (i) => `bench-${i}-${run}@people.example`;
    /** @type {Map<string, { accepted: number, confirmed?: number }>} */
    const timings = new Map();

    // The requests, at a fixed concurrency.
    let next = 0;
    let failed = 0;
    const posting = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const tenant = tenants[i % tenants.length];
          const response = await fetch(`${intakeUrl}/v1/requests`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              requester: { name: `Bench Requester ${i}`, email: emailOf(i) },
              rights: ['access'],
              company: { name: tenant.legalName, email: `privacy@${tenant.domain}` },
              text: 'Please send me a copy of the personal data you hold about me.',
              regimeHint: 'uk-gdpr',
            }),
          });
          await response.arrayBuffer();
          if (response.status === 202) timings.set(emailOf(i), { accepted: performance.now() });
          else failed += 1;
        }
      }),
    );

    // The requesters confirm as soon as their mail is in the SES endpoint's store.
    const confirmedAll = (async () => {
      const pending = new Set(Array.from({ length: REQUESTS }, (_, i) => emailOf(i)));
      const deadline = Date.now() + 600_000;
      while (pending.size > 0 && Date.now() < deadline) {
        const { emails } = await (await fetch(`${endpoints.sesEndpoint}/store?since=${startedEpochS}`)).json();
        const confirmations = [];
        for (const mail of emails) {
          const to = mail.destination?.to?.[0];
          if (!pending.has(to) || !timings.has(to)) continue;
          const link = /\/verify\/([A-Za-z0-9._~-]+)/.exec(mail.body?.text ?? '')?.[0];
          if (!link) continue;
          pending.delete(to);
          confirmations.push(
            fetch(`${intakeUrl}${link}`, { method: 'POST' }).then(async (response) => {
              await response.arrayBuffer();
              const entry = timings.get(to);
              if (entry && response.status < 300) entry.confirmed = performance.now();
            }),
          );
        }
        await Promise.all(confirmations);
        if (pending.size > 0) await pause(100);
      }
    })();
    await posting;
    await confirmedAll;

    // Until every accepted request's case is forwarded (or its decision is triage).
    const cases = mongo.db(relayDb).collection('cases');
    const decisions = mongo.db(relayDb).collection('match_decisions');
    const settleDeadline = Date.now() + 600_000;
    for (;;) {
      const forwarded = await cases.countDocuments({ state: 'forwarded' });
      const triaged = await decisions.countDocuments({ decision: 'triage' });
      if (forwarded + triaged >= timings.size || Date.now() > settleDeadline) break;
      await pause(250);
    }
    // performance.now() and the stored sentAt (wall clock) are put on one scale.
    const wallOffset = Date.now() - performance.now();
    const requests = await mongo
      .db(relayDb)
      .collection('requests')
      .find({}, { projection: { 'requester.email': 1 } })
      .toArray();
    const emailByRequest = new Map(requests.map((r) => [r._id, r.requester?.email]));
    const forwardedCases = await cases.find({ state: 'forwarded' }).toArray();
    const fromAccepted = [];
    const fromConfirmed = [];
    const sentTimes = [];
    for (const stored of forwardedCases) {
      const sentAt = Date.parse(stored.data?.messages?.[0]?.sentAt ?? '');
      const entry = timings.get(emailByRequest.get(stored.requestId) ?? '');
      if (!entry || Number.isNaN(sentAt)) continue;
      sentTimes.push(sentAt);
      fromAccepted.push(sentAt - (entry.accepted + wallOffset));
      if (entry.confirmed !== undefined) fromConfirmed.push(sentAt - (entry.confirmed + wallOffset));
    }
    fromAccepted.sort((a, b) => a - b);
    fromConfirmed.sort((a, b) => a - b);
    const firstAccepted = Math.min(...[...timings.values()].map((t) => t.accepted)) + wallOffset;
    const spanS = (Math.max(...sentTimes) - firstAccepted) / 1000;
    const perSecond = sentTimes.length / spanS;
    const triaged = await decisions.countDocuments({ decision: 'triage' });

    // The services stop (their connections close, so PostgreSQL's counters are flushed).
    relay.kill('SIGTERM');
    intake.kill('SIGTERM');
    const [relayExit, intakeExit] = await Promise.all([relay.exited, intake.exited]);

    console.log(`\nPipeline bench — ${REQUESTS} requests, ${CONCURRENCY} concurrent, Node ${process.version}`);
    console.log(
      `accepted ${timings.size} (failed ${failed}); forwarded ${sentTimes.length}, triage ${triaged}; relay exit ${String(relayExit.code)}, intake exit ${String(intakeExit.code)}`,
    );
    console.log('| span | forwarded req/s | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|');
    console.log(
      `| 202 → forward SES send | ${perSecond.toFixed(1)} | ${percentile(fromAccepted, 50).toFixed(0)} | ${percentile(fromAccepted, 99).toFixed(0)} |`,
    );
    console.log(
      `| confirmation → forward SES send | | ${percentile(fromConfirmed, 50).toFixed(0)} | ${percentile(fromConfirmed, 99).toFixed(0)} |`,
    );

    let writesPerForward = NaN;
    if (postgresUrl) {
      // PostgreSQL's backends (FerretDB's pool stays open) report their counters when idle, within
      // about 10 s: wait until every collection's inserts reach its document count and nothing
      // moved for 12 s.
      const snapshot = () =>
        JSON.stringify([relayDb, intakeDb].map((database) => [...tableWrites(postgresUrl, database)]));
      const countsReached = async () => {
        for (const database of [relayDb, intakeDb]) {
          for (const [collection, w] of tableWrites(postgresUrl, database)) {
            if (collection.startsWith('_ferretdb')) continue;
            if (w.ins < (await mongo.db(database).collection(collection).countDocuments())) return false;
          }
        }
        return true;
      };
      const statsDeadline = Date.now() + 90_000;
      let last = snapshot();
      let stableSince = Date.now();
      while (Date.now() < statsDeadline) {
        await pause(2000);
        const now = snapshot();
        if (now !== last) [last, stableSince] = [now, Date.now()];
        else if (Date.now() - stableSince >= 12_000 && (await countsReached())) break;
      }
      console.log(
        '\nStore writes per forwarded request (PostgreSQL under FerretDB, pg_stat_user_tables, rows inserted/updated/deleted per collection table):',
      );
      console.log('| database | collection | inserts | updates | deletes | per forwarded request |');
      console.log('|---|---|---:|---:|---:|---:|');
      let forwardingPath = 0;
      let total = 0;
      for (const [database, label] of [
        [relayDb, 'relay'],
        [intakeDb, 'intake'],
      ]) {
        for (const [collection, w] of tableWrites(postgresUrl, database)) {
          const sum = w.ins + w.upd + w.del;
          const per = sum / sentTimes.length;
          console.log(`| ${label} | ${collection} | ${w.ins} | ${w.upd} | ${w.del} | ${per.toFixed(2)} |`);
          if (collection.startsWith('_ferretdb')) continue;
          total += sum;
          if (label === 'relay' && collection === 'cases') forwardingPath += sum;
        }
      }
      writesPerForward = forwardingPath / sentTimes.length;
      console.log(
        `forwarding path (relay \`cases\`): ${writesPerForward.toFixed(2)} writes per forwarded request (target ≤ ${TARGET_WRITES}) — ${
          writesPerForward <= TARGET_WRITES ? 'met' : 'NOT met'
        }; whole pipeline, both services: ${(total / sentTimes.length).toFixed(2)}`,
      );
    } else {
      console.log('\n(no BENCH_POSTGRES_URL: store writes not counted)');
    }

    // The store's own ceiling, same FerretDB, same run: plain single-document writes.
    const ceilingDb = mongo.db(`bench_ceiling_${run}`);
    const plain = ceilingDb.collection('plain');
    const filler = 'x'.repeat(1500);
    const insertsPerS = await measureRate(CEILING_OPS, 8, (i) => plain.insertOne({ _id: `d${i}`, version: 1, filler }));
    const updatesPerS = await measureRate(CEILING_OPS, 8, (i) =>
      plain.updateOne({ _id: `d${i}` }, { $set: { version: 2, state: 'forwarded' } }),
    );
    const writesPerS = 2 / (1 / insertsPerS + 1 / updatesPerS);
    await ceilingDb.dropDatabase().catch(() => undefined);
    console.log(
      `\nStore ceiling (same FerretDB, 8 concurrent clients, ${CEILING_OPS} each): insertOne ${insertsPerS.toFixed(0)}/s, updateOne by _id ${updatesPerS.toFixed(0)}/s, mixed ${writesPerS.toFixed(0)} writes/s`,
    );
    if (Number.isFinite(writesPerForward)) {
      const storeBound = writesPerS / writesPerForward;
      console.log(
        `the store alone would allow ${storeBound.toFixed(0)} forwards/s at ${writesPerForward.toFixed(2)} case writes each; measured ${perSecond.toFixed(1)}/s: ratio ${(perSecond / storeBound).toFixed(3)}`,
      );
    }
  } finally {
    relay.kill('SIGKILL');
    intake.kill('SIGKILL');
    for (const db of [relayDb, intakeDb])
      await mongo
        .db(db)
        .dropDatabase()
        .catch(() => undefined);
    await mongo.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
