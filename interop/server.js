// Starts the sobatch binary for the Node.js tests under interop/ (npm-client/ and browser/).
//
// Each of those folders installs only its own node_modules, so this file needs nothing but node:
// built-ins; the official client and the browser driver stay in the folders' own helpers.js. Every
// process started here is SIGKILLed when the test process exits, so a failing or interrupted run
// leaves no server holding a port and a temp database.
"use strict";

const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO_ROOT = path.resolve(__dirname, "..");
const BIN = process.env.SOBATCH_BIN || path.join(REPO_ROOT, "target", "release", "sobatch");
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const USER_ADD_TIMEOUT_MS = 30_000;

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

/** Our environment without inherited SOBATCH_* variables (the server refuses unknown SOBATCH_*
 * keys, and SOBATCH_BIN is one), plus `extra`. */
function sobatchEnv(extra) {
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe()` every `intervalMs` until `done(value)` holds, bounded by `timeoutMs`; returns that
 * value and throws, with the last value, on time-out. A thrown error ends the wait at once unless
 * `retryErrors`, for probes that fail until something comes up (a port, a page element).
 */
async function pollUntil(probe, done, what, { timeoutMs = 20_000, intervalMs = 100, retryErrors = false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (e) {
      if (!retryErrors) throw e;
      last = e;
    }
    if (Date.now() >= deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${shown}`);
    }
    await sleep(intervalMs);
  }
}

function requireBin() {
  if (!fs.existsSync(BIN)) {
    throw new Error(
      `sobatch binary not found at ${BIN}: run 'cargo build --release --bin sobatch' in the repo root or set SOBATCH_BIN`,
    );
  }
}

/** `printf PW | sobatch user add NAME [--admin] --password-stdin --db URL`; returns the new id. The
 * first call on a new database creates its file. */
function addUser(dbUrl, name, password, { admin = false } = {}) {
  requireBin();
  const args = ["user", "add", name];
  if (admin) args.push("--admin");
  args.push("--password-stdin", "--db", dbUrl);
  const r = spawnSync(BIN, args, {
    input: password,
    env: sobatchEnv({}),
    encoding: "utf8",
    timeout: USER_ADD_TIMEOUT_MS,
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
 * Starts `sobatch serve --listen 127.0.0.1:0` on a fresh temporary database and resolves once
 * /healthz answers `ok`. The port comes from the `listening on` log line (port 0 avoids racing other
 * tests for a fixed one).
 *
 * Options: `adminPassword` (SOBATCH_ADMIN_PASSWORD; the server creates `admin` with it only on an
 * empty database), `basePath` (SOBATCH_BASE_PATH), `env` (further variables), `tmpPrefix` (the temp
 * directory's name, to tell the folders' leftovers apart), and `setup(dbUrl)`, run before the server
 * starts, to fill the database (addUser).
 *
 * Resolves with `{ addr, url, dbUrl, log, stop }`: `url` is the root without the base path, `log`
 * the server's output so far, and `stop()` SIGTERMs the server, SIGKILLs it if it has not exited
 * within STOP_TIMEOUT_MS, and removes the temp directory.
 */
async function startServer({ adminPassword, basePath, env = {}, tmpPrefix = "sobatch-interop-", setup } = {}) {
  requireBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const dbUrl = `sqlite://${path.join(dir, "sobatch.db")}`;
  const log = [];
  let child;
  try {
    if (setup) await setup(dbUrl);

    const serverEnv = { SOBATCH_LOG: "info" };
    if (adminPassword !== undefined) serverEnv.SOBATCH_ADMIN_PASSWORD = adminPassword;
    if (basePath !== undefined) serverEnv.SOBATCH_BASE_PATH = basePath;
    child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--db", dbUrl], {
      env: sobatchEnv({ ...serverEnv, ...env }),
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
      // Both streams are kept in `log`, for the tests to show when they fail.
      const onData = (d) => {
        log.push(d);
        buffered += stripAnsi(d);
        const m = /listening on http:\/\/([^\s/]+)/.exec(buffered);
        if (m) finish(resolve, m[1]);
      };
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", onData);
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", onData);
      child.once("error", (e) => finish(reject, e));
      exited.then(({ code, signal }) =>
        finish(reject, new Error(`sobatch exited (code ${code}, signal ${signal}) before listening:\n${log.join("")}`)),
      );
    });
    const url = `http://${addr}`;
    await pollUntil(
      async () => {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return r.ok && (await r.text()).trim() === "ok";
      },
      Boolean,
      `${url}/healthz to answer ok`,
      { timeoutMs: STARTUP_TIMEOUT_MS, retryErrors: true },
    );

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

    return { addr, url, dbUrl, log, stop };
  } catch (e) {
    if (child) {
      child.kill("SIGKILL");
      live.delete(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

module.exports = { REPO_ROOT, BIN, sobatchEnv, stripAnsi, sleep, pollUntil, addUser, startServer };
