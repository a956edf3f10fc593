// Server, CLI and browser helpers for the dashboard browser test.
//
// The server start-up is ../server.js, shared with the npm-client tests. This test needs neither a base
// path nor a second user, so it leaves the database empty and the server creates `admin` itself.
"use strict";

const { execFile } = require("node:child_process");
const fs = require("node:fs");

const sobatch = require("../server.js");

const { BIN, sobatchEnv, stripAnsi } = sobatch;
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const ADMIN_PASSWORD = "admin-browser-pw";
const CLI_TIMEOUT_MS = 15_000;

/** Polls `probe()` until it returns a truthy value or `timeoutMs` passes; returns that value. A
 * throwing probe is retried, as a page element may not be there yet. */
function until(probe, what, timeoutMs, intervalMs = 100) {
  return sobatch.pollUntil(probe, Boolean, what, { timeoutMs, intervalMs, retryErrors: true });
}

/** sobatch on an empty temporary database, with the credentials of the `admin` it creates there
 * (for the login form and `cli`). */
async function startServer() {
  const server = await sobatch.startServer({ adminPassword: ADMIN_PASSWORD, tmpPrefix: "sobatch-browser-" });
  return { url: server.url, user: "admin", password: ADMIN_PASSWORD, log: server.log, stop: server.stop };
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

module.exports = {
  REPO_ROOT: sobatch.REPO_ROOT,
  BIN,
  CHROMIUM,
  startServer,
  cli,
  chromiumLaunchOptions,
  until,
  sleep: sobatch.sleep,
};
