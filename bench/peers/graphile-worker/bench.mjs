// Peer benchmark: graphile-worker on the same PostgreSQL server as sobatch.
//
// Two scenarios, each run against a fresh database that this script creates
// and drops again (also when a run fails):
//
//   worker_side       N no-op jobs are already queued (inserted in one
//                     statement, not timed); the time is taken from the start
//                     of the worker until the jobs table is empty.
//   enqueue_to_start  an idle worker (default options) receives single jobs
//                     sent one at a time at a steady rate; each job carries
//                     its send time and the task records how long it took to
//                     start. p50 and p99 are reported.
//
// stdout: one JSON object per line and measurement. stderr: progress.

import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { run, runMigrations, Logger } from "graphile-worker";

const require = createRequire(import.meta.url);
const GW_VERSION = require("graphile-worker/package.json").version;
const SYSTEM = "graphile-worker";
const SCHEMA = "graphile_worker";
const POLL_MS = 20;

const USAGE = `usage: node bench.mjs [options]

  --url URL             PostgreSQL server (loopback only); a fresh database is
                        created on it for every measurement and dropped after
                        (default: $SOBATCH_PEER_PG_URL or
                        postgres://postgres@127.0.0.1:5432/postgres)
  --jobs N              jobs per worker-side run (default 20000; 2000 with --quick)
  --latency-jobs N      jobs in the enqueue-to-start run (default 200; 50 with --quick)
  --latency-rate R      jobs per second sent in that run (default 50)
  --configs LIST        worker-side configs, comma separated
                        (default: default,concurrency24,tuned)
  --scenarios LIST      worker_side,enqueue_to_start (default: both)
  --runs K              repeat each measurement K times, report the median (default 1)
  --timeout S           give up on one measurement after S seconds (default 300)
  --quick               smoke-test sizes (see above)
  -h, --help            this text
`;

// ---------------------------------------------------------------- options

function fail(message) {
  process.stderr.write(`graphile-worker bench: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        jobs: { type: "string" },
        "latency-jobs": { type: "string" },
        "latency-rate": { type: "string" },
        configs: { type: "string" },
        scenarios: { type: "string" },
        runs: { type: "string" },
        timeout: { type: "string" },
        quick: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (err) {
    fail(`${err.message}\n\n${USAGE}`);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name, fallback, min, max) => {
    const raw = parsed[name];
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) fail(`--${name} wants a whole number, got ${JSON.stringify(raw)}`);
    const value = Number(raw);
    if (value < min || value > max) fail(`--${name} must be between ${min} and ${max}`);
    return value;
  };
  const list = (name, allowed) => {
    if (parsed[name] === undefined) return allowed;
    const items = parsed[name].split(",").map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item)) fail(`--${name}: unknown ${JSON.stringify(item)} (known: ${allowed.join(", ")})`);
    }
    if (items.length === 0) fail(`--${name} is empty`);
    return items;
  };

  const url = parsed.url ?? process.env.SOBATCH_PEER_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  let parsedUrl;
  try {
    parsedUrl = new URL(url);
  } catch {
    fail(`--url is not a URL: ${url}`);
  }
  if (!["postgres:", "postgresql:"].includes(parsedUrl.protocol)) fail(`--url must be postgres://...`);
  const host = parsedUrl.hostname.replace(/^\[|\]$/g, "");
  if (!(host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    fail(`--url must point at a loopback address (127.0.0.0/8, localhost, ::1), got ${host}`);
  }

  return {
    url: parsedUrl,
    jobs: int("jobs", parsed.quick ? 2000 : 20000, 1, 10_000_000),
    latencyJobs: int("latency-jobs", parsed.quick ? 50 : 200, 1, 1_000_000),
    latencyRate: int("latency-rate", 50, 1, 10_000),
    configs: list("configs", Object.keys(WORKER_CONFIGS)),
    scenarios: list("scenarios", ["worker_side", "enqueue_to_start"]),
    runs: int("runs", 1, 1, 1000),
    timeoutMs: int("timeout", 300, 1, 86_400) * 1000,
  };
}

// Options handed to graphile-worker's run() per worker-side configuration.
// `default` sets nothing, so concurrency (1), pollInterval (2000 ms), pool size
// (10) etc. are graphile-worker's own defaults. The others follow the
// library's advice of a pool at least concurrency + 2 connections large.
const WORKER_CONFIGS = {
  default: {},
  concurrency24: { concurrency: 24, maxPoolSize: 26 },
  // Batching mode of graphile-worker >= 0.16 (option names checked against
  // dist/index.d.ts of the installed version): a pool-level local queue that
  // locks jobs in batches, and batched completion/failure statements.
  tuned: {
    concurrency: 24,
    maxPoolSize: 26,
    preset: {
      worker: {
        preparedStatements: true,
        localQueue: { size: 500 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  },
};

// ---------------------------------------------------------------- helpers

const log = (message) => process.stderr.write(`[graphile-worker] ${message}\n`);

// graphile-worker's own logging: errors and warnings go to stderr, the rest
// is dropped, so that stdout carries nothing but our JSON lines.
const quietLogger = new Logger((scope) => (level, message) => {
  if (level === "error" || level === "warning") {
    const label = scope && scope.label ? `/${scope.label}` : "";
    process.stderr.write(`[graphile-worker${label}] ${level}: ${message}\n`);
  }
});

const now = () => performance.timeOrigin + performance.now();

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Nearest-rank percentile of an ascending array.
function percentile(sorted, q) {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

const round = (value, digits) => Number(value.toFixed(digits));

class Deadline {
  constructor(ms, what) {
    this.end = Date.now() + ms;
    this.ms = ms;
    this.what = what;
  }
  check() {
    if (Date.now() > this.end) {
      throw new BenchError(`${this.what}: gave up after ${Math.round(this.ms / 1000)} s`);
    }
  }
}

class BenchError extends Error {}

// Resolves with `promise` unless it takes longer than `ms`.
async function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new BenchError(`${what}: no answer after ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- databases

let dbCounter = 0;
const liveDatabases = new Set();

function dbUrl(base, name) {
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  return url.href;
}

// Our own connections: bounded in connecting and in every statement.
function clientConfig(connectionString) {
  return { connectionString, connectionTimeoutMillis: 30_000, statement_timeout: 120_000 };
}

async function adminQuery(opts, sql) {
  const client = new pg.Client(clientConfig(opts.url.href));
  client.on("error", () => {});
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

async function createDatabase(opts) {
  dbCounter += 1;
  const name = `sobatch_peer_gw_${process.pid}_${dbCounter}`;
  await adminQuery(opts, `CREATE DATABASE ${name}`);
  liveDatabases.add(name);
  return name;
}

async function dropDatabase(opts, name) {
  // WITH (FORCE) ends connections that a failed run may have left behind.
  await adminQuery(opts, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  liveDatabases.delete(name);
}

// Creates a database with graphile-worker's schema, runs `body` with its URL,
// and drops the database however `body` ends.
async function withFreshDatabase(opts, body) {
  const name = await createDatabase(opts);
  const connectionString = dbUrl(opts.url, name);
  try {
    const pgPool = makePool(connectionString, 2);
    try {
      await within(opts.timeoutMs, runMigrations({ pgPool, logger: quietLogger }), "migrations");
    } finally {
      await within(10_000, pgPool.end(), "closing the pool").catch((err) => log(err.message));
    }
    return await body(connectionString);
  } finally {
    try {
      await dropDatabase(opts, name);
    } catch (err) {
      log(`could not drop database ${name}: ${err.message}`);
    }
  }
}

// Starts a runner on a pg pool of our own, so that the pool is closed for
// sure before its database is dropped (graphile-worker ends a pool it made
// itself without waiting). Every runner is tracked so that a failure or a
// signal always stops it. Returns { runner, crashed, stop }: `crashed`
// rejects if the runner dies on its own; `stop` may be called many times.
const liveWorkers = new Set();

function makePool(connectionString, max) {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 30_000 });
  const report = (err) => log(`pool: ${err.message}`);
  pool.on("error", report);
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

async function startRunner(options) {
  // graphile-worker's own default pool size is 10.
  const { maxPoolSize = 10, ...rest } = options;
  const pgPool = makePool(options.connectionString, maxPoolSize);
  delete rest.connectionString;
  let runner;
  try {
    runner = await within(
      120_000,
      run({ ...rest, pgPool, logger: quietLogger, noHandleSignals: true }),
      "starting the worker",
    );
  } catch (err) {
    await within(10_000, pgPool.end(), "closing the pool").catch(() => {});
    throw err;
  }
  let stopped = false;
  const crashed = runner.promise.then(
    () => {
      if (!stopped) throw new BenchError("worker exited before the measurement ended");
    },
    (err) => {
      throw new BenchError(`worker failed: ${err && err.message ? err.message : err}`);
    },
  );
  crashed.catch(() => {}); // observed by the caller through Promise.race
  let stopping = null;
  const stop = () => {
    if (!stopping) {
      stopped = true;
      stopping = (async () => {
        try {
          await within(30_000, runner.stop(), "stopping the worker");
        } catch (err) {
          log(`${err.message}; killing it`);
          await within(10_000, runner.kill(), "killing the worker").catch(() => {});
        }
        await within(10_000, pgPool.end(), "closing the pool").catch((err) => log(err.message));
        liveWorkers.delete(handle);
      })();
    }
    return stopping;
  };
  const handle = { runner, crashed, stop };
  liveWorkers.add(handle);
  return handle;
}

// ---------------------------------------------------------------- worker side

async function workerSideOnce(opts, configName) {
  const n = opts.jobs;
  return withFreshDatabase(opts, async (connectionString) => {
    // Queue N no-op jobs in one statement (not timed).
    const client = new pg.Client(clientConfig(connectionString));
    client.on("error", () => {});
    await client.connect();
    let worker;
    try {
      const inserted = await client.query(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.add_jobs(
           ARRAY(SELECT ROW('noop', '{}'::json, NULL, NULL, NULL, NULL, NULL, NULL)::${SCHEMA}.job_spec
                 FROM generate_series(1, $1::int)))`,
        [n],
      );
      if (inserted.rows[0].n !== n) throw new BenchError(`queued ${inserted.rows[0].n} jobs, wanted ${n}`);
      const countQuery = { name: "remaining", text: `SELECT count(*)::int AS n FROM ${SCHEMA}._private_jobs` };
      await client.query(countQuery); // prepare the statement before the clock starts

      let handled = 0;
      const deadline = new Deadline(opts.timeoutMs, `worker_side/${configName}`);
      const t0 = performance.now();
      worker = await startRunner({
        ...WORKER_CONFIGS[configName],
        connectionString,
        taskList: {
          noop: async () => {
            handled += 1;
          },
        },
      });
      let remaining = n;
      let lastReport = t0;
      for (;;) {
        remaining = (await client.query(countQuery)).rows[0].n;
        if (remaining === 0) break;
        deadline.check();
        const t = performance.now();
        if (t - lastReport > 5000) {
          log(`  worker_side/${configName}: ${n - remaining}/${n} done after ${((t - t0) / 1000).toFixed(1)} s`);
          lastReport = t;
        }
        await Promise.race([sleep(POLL_MS), worker.crashed]);
      }
      const seconds = (performance.now() - t0) / 1000;
      if (handled < n) throw new BenchError(`jobs table is empty but only ${handled} of ${n} jobs ran`);
      return { seconds, handled };
    } finally {
      if (worker) await worker.stop();
      await client.end().catch(() => {});
    }
  });
}

async function workerSide(opts, configName) {
  const runs = [];
  const rawSeconds = [];
  for (let i = 1; i <= opts.runs; i++) {
    log(`worker_side config=${configName} jobs=${opts.jobs} run ${i}/${opts.runs}`);
    const { seconds, handled } = await workerSideOnce(opts, configName);
    const perSecond = opts.jobs / seconds;
    log(`  ${seconds.toFixed(3)} s, ${Math.round(perSecond)} jobs/s${handled > opts.jobs ? ` (${handled - opts.jobs} jobs ran twice)` : ""}`);
    runs.push({ seconds: round(seconds, 3), per_second: Math.round(perSecond) });
    rawSeconds.push(seconds);
  }
  const seconds = median(rawSeconds);
  return {
    system: SYSTEM,
    version: GW_VERSION,
    scenario: "worker_side",
    config: configName,
    options: describeConfig(configName),
    jobs: opts.jobs,
    seconds: round(seconds, 3),
    per_second: Math.round(opts.jobs / seconds),
    runs,
  };
}

function describeConfig(configName) {
  const { preset, ...rest } = WORKER_CONFIGS[configName];
  return { ...rest, ...(preset ? preset.worker : {}) };
}

// ---------------------------------------------------------------- latency

const WARMUP_JOBS = 5;

async function enqueueToStartOnce(opts) {
  const total = opts.latencyJobs;
  return withFreshDatabase(opts, async (connectionString) => {
    const producer = new pg.Client(clientConfig(connectionString));
    producer.on("error", () => {});
    await producer.connect();
    let worker;
    try {
      const samples = [];
      let warmupSeen = 0;
      let wake = null;
      worker = await startRunner({
        connectionString,
        taskList: {
          latency: async (payload) => {
            const received = now();
            if (payload.warmup) warmupSeen += 1;
            else samples.push(received - payload.sent);
            if (wake) wake();
          },
        },
      });
      const deadline = new Deadline(opts.timeoutMs, "enqueue_to_start");
      const addSql = `SELECT id FROM ${SCHEMA}.add_job('latency', $1::json)`;
      const waitFor = async (done) => {
        while (!done()) {
          deadline.check();
          await Promise.race([new Promise((resolve) => { wake = resolve; }), sleep(POLL_MS), worker.crashed]);
          wake = null;
        }
      };

      // A few jobs first so that connections and prepared statements exist,
      // then let the worker go idle.
      for (let i = 0; i < WARMUP_JOBS; i++) {
        await producer.query(addSql, [JSON.stringify({ warmup: true, sent: now() })]);
        await waitFor(() => warmupSeen > i);
      }
      await sleep(200);

      const intervalMs = 1000 / opts.latencyRate;
      const start = performance.now();
      for (let i = 0; i < total; i++) {
        deadline.check();
        const due = start + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        await producer.query(addSql, [JSON.stringify({ sent: now() })]);
      }
      await waitFor(() => samples.length >= total);
      return samples;
    } finally {
      if (worker) await worker.stop();
      await producer.end().catch(() => {});
    }
  });
}

async function enqueueToStart(opts) {
  const runs = [];
  for (let i = 1; i <= opts.runs; i++) {
    log(`enqueue_to_start config=default jobs=${opts.latencyJobs} rate=${opts.latencyRate}/s run ${i}/${opts.runs}`);
    const samples = (await enqueueToStartOnce(opts)).sort((a, b) => a - b);
    const run = {
      p50_ms: round(percentile(samples, 0.5), 3),
      p99_ms: round(percentile(samples, 0.99), 3),
      max_ms: round(samples[samples.length - 1], 3),
    };
    log(`  p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms, max ${run.max_ms} ms`);
    runs.push(run);
  }
  return {
    system: SYSTEM,
    version: GW_VERSION,
    scenario: "enqueue_to_start",
    config: "default",
    jobs: opts.latencyJobs,
    rate_per_second: opts.latencyRate,
    warmup_jobs: WARMUP_JOBS,
    p50_ms: round(median(runs.map((r) => r.p50_ms)), 3),
    p99_ms: round(median(runs.map((r) => r.p99_ms)), 3),
    runs,
  };
}

// ---------------------------------------------------------------- main

async function cleanUp(opts) {
  for (const worker of [...liveWorkers]) {
    await worker.stop();
  }
  for (const name of [...liveDatabases]) {
    await dropDatabase(opts, name).catch((err) => log(`could not drop database ${name}: ${err.message}`));
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));

  let interrupted = false;
  const onSignal = (signal) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    cleanUp(opts).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  log(`graphile-worker ${GW_VERSION}, node ${process.version}, server ${opts.url.host}`);
  try {
    if (opts.scenarios.includes("worker_side")) {
      for (const config of opts.configs) {
        const result = await workerSide(opts, config);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
    if (opts.scenarios.includes("enqueue_to_start")) {
      const result = await enqueueToStart(opts);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } catch (err) {
    if (interrupted) return; // the signal handler cleans up and exits
    log(`error: ${err instanceof BenchError ? err.message : err && err.stack ? err.stack : err}`);
    await cleanUp(opts);
    process.exit(1);
  }
  await cleanUp(opts);
  // pg pools inside graphile-worker close asynchronously; do not wait on them.
  process.exit(0);
}

main();
