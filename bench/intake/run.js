// @ts-check
/**
 * Intake throughput and latency: POST /v1/requests on the real intake service (validation, rate
 * limits, security headers, metrics, a signed status link, Kafka acks=all; its mail consumer runs
 * throughout), without and with an Idempotency-Key, side by side with a bare Fastify route doing
 * only the same Kafka send, in the same run, against the same servers. Without a key the answer
 * waits for Kafka only and the request's state is stored by the mail consumer, paced by the mail
 * rate (so most of those inserts come after the run); with a key, the key's ledger insert is on the
 * answer path and the state is written right behind it. Each server runs in its own process (the
 * load generator here would otherwise share its event loop). Also prints CPU per accepted request,
 * of the server, of the whole machine and (on Linux) of each group of processes, which says where
 * the difference goes.
 *
 *   npm run bench:intake
 *
 * Uses KAFKA_BROKERS / MONGODB_URI / SES_ENDPOINT when all three are set, else starts the local
 * stack (infra). BENCH_CONNECTIONS (default 32), BENCH_ROUNDS (counted rounds, default 4, after one
 * settling round; keep it even), BENCH_ROUND_S (seconds per server per round, default 8),
 * BENCH_WARMUP_S (3); INTAKE_DB_GROUP_COMMIT_WINDOW_MS and INTAKE_STATE_WRITE_WINDOW_MS are passed
 * to intake. Not part of `npm test`: timings belong here, not in tests.
 */
const { fork } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');
const { startLocalStack } = require('@privacy-relay/infra');
const { createKafkaClient, ensureTopics } = require('@privacy-relay/shared/kafka');
const { createLogger } = require('@privacy-relay/shared/logger');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 8);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const TARGET_RATIO = 0.8;
/** CPU times in /proc are in clock ticks: USER_HZ, 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** A different requester on every request: no idempotency hit, no per-email throttle. */
function requestBody() {
  const id = randomBytes(6).toString('hex');
  return JSON.stringify({
    requester: { name: 'Bench Requester', email: `bench-${id}@requester.example` },
    rights: ['access', 'erasure'],
    company: { name: 'Juro Online Limited', email: 'privacy@juro.example' },
    text: 'Please send me a copy of the personal data you hold about me, then delete it.',
    regimeHint: 'uk-gdpr',
  });
}

/** Busy CPU ticks of the whole machine (Linux /proc/stat); undefined elsewhere. */
function machineTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: fields.reduce((sum, value) => sum + value, 0) - idle };
  } catch {
    return undefined;
  }
}

/** Where the machine's CPU goes, by process group, in the order the breakdown prints them. */
const CPU_GROUPS = [
  'server',
  'other server',
  'load generator',
  'Kafka',
  'FerretDB',
  'PostgreSQL',
  'SES endpoint',
  'kernel',
  'other',
];

/**
 * CPU ticks so far of every process on the machine, with its group (Linux /proc; undefined
 * elsewhere). `serverPid` is the server under test, `otherPids` the bench's other servers.
 * @returns {Map<string, { group: string, ticks: number }> | undefined}
 */
function cpuTicksByProcess(serverPid, otherPids) {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const processes = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the command (proc(5) numbers them from 3): ppid 4, utime 14, stime 15, the
      // reaped children's cutime 16 and cstime 17 (PostgreSQL's short-lived workers), starttime 22.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const field = (number) => Number(fields[number - 3]);
      const used = field(14) + field(15) + field(16) + field(17);
      const parent = field(4);
      let group = 'other';
      if (Number(pid) === serverPid) group = 'server';
      else if (otherPids.includes(Number(pid))) group = 'other server';
      else if (Number(pid) === process.pid) group = 'load generator';
      else if (comm === 'java') group = 'Kafka';
      else if (comm === 'ferretdb') group = 'FerretDB';
      else if (comm === 'postgres') group = 'PostgreSQL';
      else if (parent === 2 || Number(pid) === 2) group = 'kernel';
      else if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('aws-ses-v2-local')) group = 'SES endpoint';
      // Keyed with the start time: a pid reused between two snapshots is another process.
      processes.set(`${pid}:${field(22)}`, { group, ticks: used });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return processes;
}

/**
 * CPU milliseconds by group between two snapshots (a process that ended in between counts with
 * its parent once reaped; one that started counts whole).
 */
function cpuMsByGroup(before, after) {
  /** @type {Record<string, number>} */
  const ms = Object.fromEntries(CPU_GROUPS.map((group) => [group, 0]));
  for (const [pid, { group, ticks }] of after) {
    ms[group] += ((ticks - (before.get(pid)?.ticks ?? 0)) * 1000) / TICKS_PER_SECOND;
  }
  return ms;
}

/**
 * A server under test (`server.js`) in its own process, so that the load generator here does not
 * share its event loop.
 * @returns {Promise<{ url: string, pid: number, cpuMs: () => Promise<number>, stop: () => Promise<void> }>}
 */
async function startServer(kind, env) {
  const child = fork(path.join(__dirname, 'server.js'), [], {
    env: { ...process.env, ...env, BENCH_SERVER: kind },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** The next IPC message that carries `type`. @type {(type: string) => Promise<any>} */
  const next = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message && typeof message === 'object' && type in message) {
          child.off('message', onMessage);
          resolve(message[type]);
        }
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error(`bench ${kind} server exited`)));
    });
  const port = await next('port');
  return {
    url: `http://127.0.0.1:${port}/v1/requests`,
    pid: child.pid ?? 0,
    cpuMs: async () => {
      const cpu = next('cpu');
      // A send to a child that is gone fails here, not as an unhandled 'error' event.
      child.send('cpu', (error) => error && child.kill());
      const { user, system } = await cpu;
      return (user + system) / 1000;
    },
    stop: async () => {
      if (child.connected) child.send('stop', (error) => error && child.kill());
      else if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}

/**
 * One round of load, with what it cost: CPU of the server's process, of the whole machine (load
 * generator, Kafka, FerretDB, PostgreSQL, SES endpoint too), and of each group of processes.
 * @returns {Promise<{ result: import('autocannon').Result, processCpuMs: number, machineCpuMs?: number, groupCpuMs?: Record<string, number> }>}
 */
async function measuredRound(server, durationS, options, otherPids) {
  const cpuBefore = await server.cpuMs();
  const ticksBefore = machineTicks();
  const processesBefore = cpuTicksByProcess(server.pid, otherPids);
  const result = await cannon(server.url, durationS, options);
  const processCpuMs = (await server.cpuMs()) - cpuBefore;
  const processesAfter = cpuTicksByProcess(server.pid, otherPids);
  const ticksAfter = machineTicks();
  return {
    result,
    processCpuMs,
    ...(ticksBefore && ticksAfter
      ? { machineCpuMs: ((ticksAfter.busy - ticksBefore.busy) * 1000) / TICKS_PER_SECOND }
      : {}),
    ...(processesBefore && processesAfter ? { groupCpuMs: cpuMsByGroup(processesBefore, processesAfter) } : {}),
  };
}

/**
 * Load at a fixed concurrency; every request names another requester (no idempotency hit, no
 * per-email throttle) and, `withKey`, carries its own Idempotency-Key.
 * @returns {Promise<import('autocannon').Result>}
 */
function cannon(url, durationS, { withKey = false } = {}) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: requestBody(),
          ...(withKey ? { headers: { ...request.headers, 'idempotency-key': randomBytes(12).toString('hex') } } : {}),
        }),
      },
    ],
  });
}

function row(name, { result, processCpuMs, machineCpuMs, groupCpuMs }) {
  const accepted = result['2xx'] / result.duration;
  const perRequest = (ms) => (ms === undefined || result['2xx'] === 0 ? NaN : (ms * 1000) / result['2xx']);
  return {
    ...Object.fromEntries(CPU_GROUPS.map((group) => [`cpu:${group}`, perRequest(groupCpuMs?.[group])])),
    name,
    accepted,
    p50: result.latency.p50,
    p99: result.latency.p99,
    processCpuUs: perRequest(processCpuMs),
    machineCpuUs: perRequest(machineCpuMs),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
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
  try {
    await bench(endpoints);
  } finally {
    await stack?.stop();
  }
}

/** @param {{ kafkaBrokers: string, mongodbUri: string, sesEndpoint: string }} endpoints */
async function bench(endpoints) {
  const runId = randomBytes(4).toString('hex');
  const topicPrefix = `bench.${runId}.`;
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const kafka = createKafkaClient({ brokers: endpoints.kafkaBrokers.split(','), clientId: 'bench', logger });
  await ensureTopics(kafka, { prefix: topicPrefix, numPartitions: 3, replicationFactor: 1 });

  const serverEnv = {
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    MONGODB_URI: endpoints.mongodbUri,
    SES_ENDPOINT: endpoints.sesEndpoint,
    BENCH_TOPIC_PREFIX: topicPrefix,
    BENCH_RUN_ID: runId,
  };
  const started = await Promise.allSettled([startServer('baseline', serverEnv), startServer('intake', serverEnv)]);
  const stopServers = () =>
    Promise.all(started.map((server) => (server.status === 'fulfilled' ? server.value.stop() : undefined)));
  const failed = started.find((server) => server.status === 'rejected');
  if (failed) {
    await stopServers();
    throw failed.reason;
  }
  const [baseline, intake] = started.map((server) => /** @type {any} */ (server).value);

  const runs = [
    { name: 'baseline', server: baseline, options: {} },
    { name: 'intake', server: intake, options: {} },
    { name: 'intake + key', server: intake, options: { withKey: true } },
  ];
  try {
    process.stderr.write(
      `[bench] warm-up ${WARMUP_S}s each, then a settling round and ${ROUNDS} rounds of ${ROUND_S}s each at ${CONNECTIONS} connections\n`,
    );
    for (const run of runs) await cannon(run.server.url, WARMUP_S, run.options);
    const rows = [];
    // Round 0 settles and is not counted: the first round after the warm-ups ran 10-25 % slower
    // for all three even after 8 s warm-ups, and hit hardest whichever run came first. Then the
    // baseline and intake take turns at going first, and the keyed run goes last in every round:
    // the run after it pays for PostgreSQL's autovacuum of its inserts (~50 µs per request), so
    // the baseline and intake follow it equally often (with an even number of rounds).
    for (let round = 0; round <= ROUNDS; round++) {
      const settling = round === 0;
      const order = round % 2 === 0 ? runs : [runs[1], runs[0], runs[2]];
      for (const run of order) {
        rows.push({
          // A settling row has a name of its own, so the means leave it out.
          run: settling ? `${run.name} (settling)` : run.name,
          ...row(
            settling ? `${run.name} (settling, not counted)` : `${run.name} (round ${round})`,
            await measuredRound(
              run.server,
              ROUND_S,
              run.options,
              [baseline, intake].filter((server) => server !== run.server).map((server) => server.pid),
            ),
          ),
        });
      }
    }
    const mean = (name, key) => {
      const picked = rows.filter((r) => r.run === name);
      return picked.reduce((sum, r) => sum + r[key], 0) / picked.length;
    };

    const line = (cells) => `| ${cells.join(' | ')} |`;
    console.log(
      `\nIntake bench — ${CONNECTIONS} connections, ${ROUNDS} rounds of ${ROUND_S}s, Node ${process.version}`,
    );
    const header = ['run', 'accepted req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'machine CPU µs/req'];
    console.log(line([...header, 'non-2xx', 'errors']));
    console.log(line(['---', ...header.slice(1).map(() => '---:'), '---:', '---:']));
    const cells = (name, pick) => [
      name,
      pick('accepted').toFixed(0),
      pick('p50').toFixed(1),
      pick('p99').toFixed(1),
      pick('processCpuUs').toFixed(0),
      pick('machineCpuUs').toFixed(0),
    ];
    for (const r of rows) console.log(line([...cells(r.name, (key) => r[key]), r.non2xx, r.errors]));
    for (const { name } of runs) console.log(line([...cells(`**${name} (mean)**`, (key) => mean(name, key)), '', '']));

    if (rows.every((r) => !Number.isNaN(r['cpu:server']))) {
      // Per-process accounting and /proc/stat's tick sampling differ by a few per cent: the groups
      // do not add up exactly to the machine column.
      console.log("\nWhere the machine's CPU goes, µs per accepted request (mean of the rounds):");
      console.log(line(['run', ...CPU_GROUPS]));
      console.log(line(['---', ...CPU_GROUPS.map(() => '---:')]));
      for (const { name } of runs) {
        console.log(line([name, ...CPU_GROUPS.map((group) => mean(name, `cpu:${group}`).toFixed(0))]));
      }
    }

    console.log('');
    for (const name of ['intake', 'intake + key']) {
      const ratio = mean(name, 'accepted') / mean('baseline', 'accepted');
      console.log(
        `throughput ratio ${name} / baseline: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}) — ${
          ratio >= TARGET_RATIO ? 'met' : 'NOT met'
        }; CPU per accepted request ×${(mean(name, 'processCpuUs') / mean('baseline', 'processCpuUs')).toFixed(2)} server, ×${(
          mean(name, 'machineCpuUs') / mean('baseline', 'machineCpuUs')
        ).toFixed(
          2,
        )} machine${name === 'intake + key' ? ' (the key is inserted before the answer; the baseline writes no database)' : ''}`,
      );
    }
  } finally {
    await stopServers();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
