// Start-up and client helpers for the npm-client interoperability tests.
//
// Each test file starts its own sobatch server on a fresh temporary database (startServer in a
// `before` hook) and stops it in `after` (server.stop()). Every process started here is also
// SIGKILLed when the test process exits, so a failing or interrupted run leaves nothing behind.
"use strict";

const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

// The official client, CommonJS build (its ESM build does not load in Node).
const { WebApi } = require("@superoffice/webapi");

const BIN =
  process.env.SOBATCH_BIN || path.resolve(__dirname, "..", "..", "target", "release", "sobatch");
const BASE_PATH = "/Cust12345";
const ADMIN_PASSWORD = "admin-interop-pw";
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const live = new Set();
process.on("exit", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

/** The environment for the server: ours, without any inherited SOBATCH_* variable (the server
 * refuses unknown SOBATCH_* keys, and SOBATCH_BIN is one), plus `extra`. */
function serverEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("SOBATCH_")) env[k] = v;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

function stripAnsi(s) {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

/** `printf PW | sobatch user add NAME [--admin] --password-stdin --db URL`; returns the new id. */
function addUser(dbUrl, name, password, admin) {
  const args = ["user", "add", name];
  if (admin) args.push("--admin");
  args.push("--password-stdin", "--db", dbUrl);
  const r = spawnSync(BIN, args, {
    input: password,
    env: serverEnv({}),
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.error) throw new Error(`sobatch user add ${name}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`sobatch user add ${name} exited ${r.status}: ${r.stdout}${r.stderr}`);
  }
  const m = /with id (\d+)/.exec(stripAnsi(r.stdout + r.stderr));
  if (!m) throw new Error(`sobatch user add ${name}: no id in output: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/**
 * Creates a temporary database with the associates `admin` (admin role) and `alice` (user role),
 * then starts `sobatch serve --listen 127.0.0.1:0` on it with SOBATCH_BASE_PATH=/Cust12345.
 * Resolves once the server logged `listening on http://ADDR`.
 */
async function startServer() {
  if (!fs.existsSync(BIN)) {
    throw new Error(
      `sobatch binary not found at ${BIN}: run 'cargo build --release --bin sobatch' in the repo root or set SOBATCH_BIN`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sobatch-npm-interop-"));
  const dbUrl = `sqlite://${path.join(dir, "sobatch.db")}`;
  const users = {
    // alice first: the database file is created by this command.
    alice: { password: "alice-interop-pw", id: 0 },
    admin: { password: ADMIN_PASSWORD, id: 0 },
  };
  let child;
  const log = [];
  try {
    users.alice.id = addUser(dbUrl, "alice", users.alice.password, false);
    // The server creates `admin` itself only on an empty database, so add it here too.
    users.admin.id = addUser(dbUrl, "admin", users.admin.password, true);

    child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--db", dbUrl], {
      env: serverEnv({
        SOBATCH_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SOBATCH_BASE_PATH: BASE_PATH,
        // The default, pinned so the date assertions do not depend on it.
        SOBATCH_BASE_ZONE: "UTC",
        SOBATCH_LOG: "info",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

    const addr = await new Promise((resolve, reject) => {
      let buffered = "";
      let done = false;
      const finish = (fn, value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        fn(value);
      };
      const timer = setTimeout(
        () => finish(reject, new Error(`sobatch did not log 'listening on' within ${STARTUP_TIMEOUT_MS} ms:\n${log.join("")}`)),
        STARTUP_TIMEOUT_MS,
      );
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d) => log.push(d));
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d) => {
        log.push(d);
        buffered += stripAnsi(d);
        const m = /listening on http:\/\/([^\s/]+)/.exec(buffered);
        if (m) finish(resolve, m[1]);
      });
      child.once("error", (e) => finish(reject, e));
      exited.then(({ code, signal }) =>
        finish(reject, new Error(`sobatch exited (code ${code}, signal ${signal}) before listening:\n${log.join("")}`)),
      );
    });

    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        let timer;
        const outcome = await Promise.race([
          exited,
          new Promise((r) => (timer = setTimeout(() => r("timeout"), STOP_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          child.kill("SIGKILL");
          await exited;
        }
      }
      live.delete(child);
      fs.rmSync(dir, { recursive: true, force: true });
    };

    return {
      addr,
      rootUrl: `http://${addr}`,
      prefixedUrl: `http://${addr}${BASE_PATH}`,
      users,
      log,
      stop,
    };
  } catch (e) {
    if (child) {
      child.kill("SIGKILL");
      live.delete(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A BatchAgent the way integrations build one: `new WebApi(url)`, `authenticateWithPassword`,
 * `getBatchAgent()`.
 *
 * Client quirk: `new WebApi()` resets the client's process-wide default options and
 * `authenticateWithPassword` writes the credentials there, and `getBatchAgent()` falls back to those
 * defaults. So the agent must be taken right after authenticating, before the next WebApi is made;
 * once made, an agent keeps its own axios instance and credentials.
 */
function makeAgent(baseUrl, username, password) {
  const api = new WebApi(baseUrl);
  if (username !== undefined) api.authenticateWithPassword(username, password);
  return api.getBatchAgent();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fetch()` every `intervalMs` until `done(value)` holds; bounded by `timeoutMs`.
 * Returns the last value; throws (with the last value) on time-out.
 */
async function pollUntil(fetch, done, what, timeoutMs = 20_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fetch();
    if (done(last)) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Wraps a test body so that a failed HTTP call reports the request and the response in one line
 * (an AxiosError otherwise prints as a very large object).
 */
function reportHttp(fn) {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (e) {
      if (e && e.isAxiosError) {
        const c = e.config || {};
        const body = typeof c.data === "string" ? c.data : JSON.stringify(c.data);
        const req = `${String(c.method || "").toUpperCase()} ${c.baseURL || ""}${c.url || ""} body=${body}`;
        const res = e.response
          ? `HTTP ${e.response.status} ${JSON.stringify(e.response.data)}`
          : `no response (${e.code})`;
        throw new Error(`${e.message}\n  request:  ${req}\n  response: ${res}`);
      }
      throw e;
    }
  };
}

// ---- assertions shared by the test files ----------------------------------------------------

const assert = require("node:assert/strict");

function assertValidDate(d, what) {
  assert.ok(d instanceof Date, `${what} should be a Date, got ${Object.prototype.toString.call(d)} ${d}`);
  assert.ok(!Number.isNaN(d.getTime()), `${what} should be a valid Date`);
}

/** The empty date "0001-01-01T00:00:00": the client parses an unsuffixed string as local time. */
function assertEmptyDate(d, what) {
  assertValidDate(d, what);
  assert.deepEqual(
    [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()],
    [1, 0, 1, 0, 0, 0],
    `${what} should be the empty date 0001-01-01T00:00:00, got ${d.toISOString()}`,
  );
}

/**
 * A date the server set just now. The server renders it unsuffixed in its base zone (UTC here), and
 * the client reads an unsuffixed string as local wall time, so compare the wall-clock fields with
 * the current UTC time. (A wall time inside a local spring-forward gap is shifted by an hour by
 * JavaScript, hence the second window.)
 */
function assertRecentBaseZoneDate(d, what, slackMs = 5 * 60_000) {
  assertValidDate(d, what);
  const wall = Date.UTC(
    d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds(),
  );
  const diff = wall - Date.now();
  assert.ok(
    Math.abs(diff) < slackMs || Math.abs(diff - 3_600_000) < slackMs,
    `${what} should be about now (UTC wall time), got wall time ${new Date(wall).toISOString()} (now ${new Date().toISOString()})`,
  );
}

/** The ids of a list result, checking that every element is a real carrier. */
function idsOf(list, what) {
  assert.ok(Array.isArray(list), `${what} should be an array`);
  return list.map((t, i) => {
    assert.ok(t && typeof t === "object", `${what}[${i}] should be an object`);
    assert.ok(Number.isInteger(t.id) && t.id > 0, `${what}[${i}].id should be a positive integer, got ${t.id}`);
    assert.equal(typeof t.name, "string", `${what}[${i}].name should be a string`);
    assert.ok(typeof t.state === "string", `${what}[${i}].state should be an enum name, got ${t.state}`);
    return t.id;
  });
}

module.exports = {
  BIN,
  BASE_PATH,
  startServer,
  makeAgent,
  pollUntil,
  sleep,
  reportHttp,
  assertValidDate,
  assertEmptyDate,
  assertRecentBaseZoneDate,
  idsOf,
};
