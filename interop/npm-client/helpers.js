// Start-up and client helpers for the npm-client interoperability tests.
//
// Each test file starts its own sobatch server on a fresh temporary database (startServer in a
// `before` hook) and stops it in `after` (server.stop()). The start-up itself is ../server.js, which
// also SIGKILLs the server when the test process exits, so a failing or interrupted run leaves
// nothing behind.
"use strict";

// The official client, CommonJS build (its ESM build does not load in Node).
const { WebApi } = require("@superoffice/webapi");

const sobatch = require("../server.js");

const BASE_PATH = "/Cust12345";
const ADMIN_PASSWORD = "admin-interop-pw";

/**
 * Creates a temporary database with the associates `admin` (admin role) and `alice` (user role),
 * then starts sobatch on it with SOBATCH_BASE_PATH=/Cust12345.
 */
async function startServer() {
  const users = {
    alice: { password: "alice-interop-pw", id: 0 },
    admin: { password: ADMIN_PASSWORD, id: 0 },
  };
  const { addr, url, log, stop } = await sobatch.startServer({
    adminPassword: ADMIN_PASSWORD,
    basePath: BASE_PATH,
    // The default, pinned so the date assertions do not depend on it.
    env: { SOBATCH_BASE_ZONE: "UTC" },
    tmpPrefix: "sobatch-npm-interop-",
    setup: (dbUrl) => {
      // alice first: the database file is created by this command.
      users.alice.id = sobatch.addUser(dbUrl, "alice", users.alice.password);
      // The server creates `admin` itself only on an empty database, so add it here too.
      users.admin.id = sobatch.addUser(dbUrl, "admin", users.admin.password, { admin: true });
    },
  });
  return { addr, rootUrl: url, prefixedUrl: `${url}${BASE_PATH}`, users, log, stop };
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

/** Polls `fetch()` until `done(value)` holds, every `intervalMs` and for at most `timeoutMs`. A
 * failed call ends the wait, so a test reports the HTTP error rather than a time-out. */
function pollUntil(fetch, done, what, timeoutMs = 20_000, intervalMs = 100) {
  return sobatch.pollUntil(fetch, done, what, { timeoutMs, intervalMs });
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
  BIN: sobatch.BIN,
  BASE_PATH,
  startServer,
  makeAgent,
  pollUntil,
  sleep: sobatch.sleep,
  reportHttp,
  assertValidDate,
  assertEmptyDate,
  assertRecentBaseZoneDate,
  idsOf,
};
