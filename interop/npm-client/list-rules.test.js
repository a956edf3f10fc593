// The official npm client @superoffice/webapi (BatchAgent) against a real sobatch server: the
// selection rules of every list method (spec §1.6). The server is fresh, and this file creates a
// known set of tasks whose states do not change afterwards, so every expected list is exact.
// Every list is asked through the root and through the /Cust12345 base path.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { BatchTaskState } = require("@superoffice/webapi");
const { startServer, makeAgent, pollUntil, reportHttp, idsOf } = require("./helpers");

const { New, Succeeded, All } = BatchTaskState;
const T = { timeout: 60_000 };

let server;
let admin;
let adminPrefixed;
let alice;
let aliceId;
let adminId;

// Task ids by role, filled in by the `before` hook.
//   A1 admin  ListAlpha New      S1 system ListAlpha New      L1 alice ListAlpha New
//   A2 admin  ListBeta  New      S2 system Echo      Succeeded L2 alice ListGamma New
//   A3 admin  Echo      Succeeded
const id = {};

async function finished(agent, taskId) {
  const t = await pollUntil(
    () => agent.getBatchTaskInfoAsync(taskId),
    (x) => x !== null && x.state !== New && x.state !== BatchTaskState.Aquired && x.state !== BatchTaskState.Started,
    `Echo task ${taskId} to finish`,
  );
  assert.equal(t.state, Succeeded, `Echo task ${taskId} ended ${t.state}: ${t.result}`);
}

// Bounded: start-up waits at most 30 s, each poll at most 20 s.
before(async () => {
  server = await startServer();
  adminId = server.users.admin.id;
  aliceId = server.users.alice.id;
  admin = makeAgent(server.rootUrl, "admin", server.users.admin.password);
  adminPrefixed = makeAgent(server.prefixedUrl, "admin", server.users.admin.password);
  alice = makeAgent(server.rootUrl, "alice", server.users.alice.password);

  await reportHttp(async () => {
    id.A1 = await admin.startBatchJobAsync({ name: "ListAlpha" });
    id.S1 = await admin.startBatchJobAsync({ name: "ListAlpha", isSystemTask: true });
    id.L1 = await alice.startBatchJobAsync({ name: "ListAlpha" });
    id.A2 = await admin.startBatchJobAsync({ name: "ListBeta" });
    id.L2 = await alice.startBatchJobAsync({ name: "ListGamma" });
    id.A3 = await admin.startBatchJobAsync({ name: "Echo", parameterObject: { who: "admin" } });
    id.S2 = await admin.startBatchJobAsync({ name: "Echo", parameterObject: { who: "system" }, isSystemTask: true });
    await finished(admin, id.A3);
    await finished(admin, id.S2);
  })();
}, { timeout: 90_000 });

after(async () => {
  if (server) await server.stop();
}, { timeout: 30_000 });

/** Expected ids, sorted ascending (lists are sorted by id). */
function ids(...names) {
  return names.map((n) => id[n]).sort((a, b) => a - b);
}

const ALL = ["A1", "A2", "A3", "S1", "S2", "L1", "L2"];
const USER = ["A1", "A2", "A3", "L1", "L2"];
const SYSTEM = ["S1", "S2"];

/**
 * Calls `method` with `args` on the root agent and on the /Cust12345 agent, and checks both
 * answers: the expected ids in ascending order.
 */
async function expectList(method, args, expected) {
  const what = `${method}(${args.map((a) => JSON.stringify(a)).join(", ")})`;
  const viaRoot = await admin[method](...args);
  assert.deepEqual(idsOf(viaRoot, what), ids(...expected), what);
  const viaPrefix = await adminPrefixed[method](...args);
  assert.deepEqual(viaPrefix, viaRoot, `${what} through /Cust12345`);
}

describe("list selection rules (spec §1.6)", () => {
  it(
    "the fixture: owners and system flags",
    T,
    reportHttp(async () => {
      for (const k of ALL) {
        const t = await admin.getBatchTaskInfoAsync(id[k]);
        const owner = k[0] === "S" ? 0 : k[0] === "L" ? aliceId : adminId;
        assert.equal(t.associateId, owner, `${k} owner`);
        assert.equal(t.isSystemTask, owner === 0, `${k} isSystemTask`);
      }
    }),
  );

  it(
    "getBatchTaskInfosByStateAsync: user tasks of every user, system tasks excluded",
    T,
    reportHttp(async () => {
      await expectList("getBatchTaskInfosByStateAsync", [New], ["A1", "A2", "L1", "L2"]);
      await expectList("getBatchTaskInfosByStateAsync", [Succeeded], ["A3"]);
      await expectList("getBatchTaskInfosByStateAsync", [All], USER);
      await expectList("getBatchTaskInfosByStateAsync", [BatchTaskState.Started], []);
      // A non-admin sees the same: "user tasks" means any user's (default configuration).
      assert.deepEqual(idsOf(await alice.getBatchTaskInfosByStateAsync(New), "alice ByState"), ids("A1", "A2", "L1", "L2"));
    }),
  );

  it(
    "getBatchTaskInfosByNameAndStateAsync: user tasks only; blank or null name = all names",
    T,
    reportHttp(async () => {
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["", New], ["A1", "A2", "L1", "L2"]);
      await expectList("getBatchTaskInfosByNameAndStateAsync", [null, All], USER);
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["ListAlpha", New], ["A1", "L1"]);
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["ListAlpha", All], ["A1", "L1"]);
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["Echo", Succeeded], ["A3"]);
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["Echo", New], []);
      await expectList("getBatchTaskInfosByNameAndStateAsync", ["NoSuchTask", All], []);
    }),
  );

  it(
    "getBatchTaskInfosByAssociatesAsync: [] all, [0] system, [-1] all users, [n] n's, union",
    T,
    reportHttp(async () => {
      await expectList("getBatchTaskInfosByAssociatesAsync", [[]], ALL);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[0]], SYSTEM);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[-1]], USER);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[aliceId]], ["L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[adminId]], ["A1", "A2", "A3"]);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[0, aliceId]], ["S1", "S2", "L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[0, -1]], ALL);
      await expectList("getBatchTaskInfosByAssociatesAsync", [[999_999]], []);
    }),
  );

  it(
    "getBatchTaskInfosByNameAndAssociatesAsync: name filter plus the associateIds rule",
    T,
    reportHttp(async () => {
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["ListAlpha", []], ["A1", "S1", "L1"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["ListAlpha", [0]], ["S1"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["ListAlpha", [-1]], ["A1", "L1"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["ListAlpha", [0, aliceId]], ["S1", "L1"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["", [aliceId]], ["L1", "L2"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", [null, []], ALL);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["Echo", [0]], ["S2"]);
      await expectList("getBatchTaskInfosByNameAndAssociatesAsync", ["ListGamma", [adminId]], []);
    }),
  );

  it(
    "getBatchTaskInfosByAssociatesAndStateAsync: associateIds rule plus state",
    T,
    reportHttp(async () => {
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[], All], ALL);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[], New], ["A1", "A2", "S1", "L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[0], Succeeded], ["S2"]);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[-1], New], ["A1", "A2", "L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[aliceId], New], ["L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[0, aliceId], New], ["S1", "L1", "L2"]);
      await expectList("getBatchTaskInfosByAssociatesAndStateAsync", [[aliceId], Succeeded], []);
    }),
  );

  it(
    "getAllBatchTaskInfosByNameAsync: system and user tasks; null or blank name = all",
    T,
    reportHttp(async () => {
      await expectList("getAllBatchTaskInfosByNameAsync", [null], ALL);
      await expectList("getAllBatchTaskInfosByNameAsync", [""], ALL);
      await expectList("getAllBatchTaskInfosByNameAsync", ["ListAlpha"], ["A1", "S1", "L1"]);
      await expectList("getAllBatchTaskInfosByNameAsync", ["Echo"], ["A3", "S2"]);
      await expectList("getAllBatchTaskInfosByNameAsync", ["NoSuchTask"], []);
    }),
  );

  it(
    "getAllBatchTaskInfosByNameAndStateAsync: system and user tasks by name and state",
    T,
    reportHttp(async () => {
      await expectList("getAllBatchTaskInfosByNameAndStateAsync", ["", New], ["A1", "A2", "S1", "L1", "L2"]);
      await expectList("getAllBatchTaskInfosByNameAndStateAsync", [null, All], ALL);
      await expectList("getAllBatchTaskInfosByNameAndStateAsync", ["Echo", Succeeded], ["A3", "S2"]);
      await expectList("getAllBatchTaskInfosByNameAndStateAsync", ["ListAlpha", New], ["A1", "S1", "L1"]);
      await expectList("getAllBatchTaskInfosByNameAndStateAsync", ["ListAlpha", Succeeded], []);
    }),
  );

  it(
    "getSystemBatchTaskInfosByNameAsync: system tasks only",
    T,
    reportHttp(async () => {
      await expectList("getSystemBatchTaskInfosByNameAsync", [""], SYSTEM);
      await expectList("getSystemBatchTaskInfosByNameAsync", [null], SYSTEM);
      await expectList("getSystemBatchTaskInfosByNameAsync", ["ListAlpha"], ["S1"]);
      await expectList("getSystemBatchTaskInfosByNameAsync", ["ListBeta"], []);
    }),
  );

  it(
    "getSystemBatchTaskInfosByNameAndStateAsync: system tasks only, by name and state",
    T,
    reportHttp(async () => {
      await expectList("getSystemBatchTaskInfosByNameAndStateAsync", ["", New], ["S1"]);
      await expectList("getSystemBatchTaskInfosByNameAndStateAsync", ["", All], SYSTEM);
      await expectList("getSystemBatchTaskInfosByNameAndStateAsync", [null, Succeeded], ["S2"]);
      await expectList("getSystemBatchTaskInfosByNameAndStateAsync", ["Echo", Succeeded], ["S2"]);
      await expectList("getSystemBatchTaskInfosByNameAndStateAsync", ["Echo", New], []);
    }),
  );
});
