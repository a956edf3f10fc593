// Server, CLI and browser helpers for the dashboard browser test.
//
// The npm-client folder has a startServer too, but its helpers.js loads the official npm client when
// it is required (so it only works once that folder is installed) and always sets up a base path and
// a second user; this test needs neither, so it keeps its own, smaller start-up.
"use strict";

const { spawn, execFile } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const BIN = process.env.SOBATCH_BIN || path.join(REPO_ROOT, "target", "release", "sobatch");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const ADMIN_PASSWORD = "admin-browser-pw";
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 15_000;

const live = new Set();
// A failed or interrupted run must not leave a server holding a port and a temp database.
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

/** Polls `probe()` until it returns a truthy value or `timeoutMs` passes; returns that value. */
async function until(probe, what, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Starts `sobatch serve --listen 127.0.0.1:0` on an empty temporary database, where the server
 * creates `admin` with SOBATCH_ADMIN_PASSWORD itself. The port comes from the `listening on` log line
 * (port 0 avoids racing other tests for a fixed one); ready once /healthz answers `ok`.
 */
async function startServer() {
  if (!fs.existsSync(BIN)) {
    throw new Error(
      `sobatch binary not found at ${BIN}: run 'cargo build --release --bin sobatch' in the repo root or set SOBATCH_BIN`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sobatch-browser-"));
  const dbUrl = `sqlite://${path.join(dir, "sobatch.db")}`;
  const log = [];
  let child;
  try {
    child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--db", dbUrl], {
      env: sobatchEnv({ SOBATCH_ADMIN_PASSWORD: ADMIN_PASSWORD, SOBATCH_LOG: "info" }),
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
    await until(
      async () => {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return r.ok && (await r.text()).trim() === "ok";
      },
      `${url}/healthz to answer ok`,
      STARTUP_TIMEOUT_MS,
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

    return { url, user: "admin", password: ADMIN_PASSWORD, log, stop };
  } catch (e) {
    if (child) {
      child.kill("SIGKILL");
      live.delete(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Runs a client command of the sobatch CLI against `server`; resolves with its trimmed stdout. */
function cli(server, args) {
  return new Promise((resolve, reject) => {
    execFile(
      BIN,
      args,
      {
        env: sobatchEnv({ SOBATCH_URL: server.url, SOBATCH_USER: server.user, SOBATCH_PASSWORD: server.password }),
        encoding: "utf8",
        timeout: CLI_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`sobatch ${args.join(" ")} failed (${error.code ?? error.signal}): ${stdout}${stderr}`));
        } else {
          resolve(stripAnsi(stdout).trim());
        }
      },
    );
  });
}

/** Launch options for Debian's Chromium: headless, no sandbox (CI runs as root), and nothing that
 * phones home. The resolver rule makes every host name but 127.0.0.1 unresolvable, so a stray
 * external reference fails instead of leaving the machine; the test still reports it. */
function chromiumLaunchOptions() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium'`);
  }
  return {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  };
}

module.exports = { REPO_ROOT, BIN, CHROMIUM, startServer, cli, chromiumLaunchOptions, until, sleep };
