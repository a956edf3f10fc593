// The official npm client @superoffice/webapi (BatchAgent) against a real sobatch server:
// start/get round trip, running tasks, UpdateBatchTask round trip (spec §2.9 hazard), Stop,
// Delete, authentication, and the /Cust12345 base path. The list-selection rules are in
// list-rules.test.js. Run under several TZ values (run.sh).
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { BatchTaskState, BatchTaskCancellationBehaviour } = require("@superoffice/webapi");
const {
  startServer,
  makeAgent,
  pollUntil,
  reportHttp,
  assertValidDate,
  assertEmptyDate,
  assertRecentBaseZoneDate,
} = require("./helpers");

const TERMINAL = [BatchTaskState.Succeeded, BatchTaskState.Failed, BatchTaskState.SucceededManualCleanup];
const MISSING_ID = 2_147_480_000;
const T = { timeout: 60_000 };

let server;
let admin; // BatchAgent at http://ADDR/api/v1/Agents/Batch/
let adminPrefixed; // BatchAgent at http://ADDR/Cust12345/api/v1/Agents/Batch/
let alice; // non-admin
let adminId;
let aliceId;

// Bounded: start-up waits at most 30 s.
before(async () => {
  server = await startServer();
  adminId = server.users.admin.id;
  aliceId = server.users.alice.id;
  // One WebApi per agent, each agent taken right after authenticating (see makeAgent).
  admin = makeAgent(server.rootUrl, "admin", server.users.admin.password);
  adminPrefixed = makeAgent(server.prefixedUrl, "admin", server.users.admin.password);
  alice = makeAgent(server.rootUrl, "alice", server.users.alice.password);
}, { timeout: 60_000 });

after(async () => {
  if (server) await server.stop();
}, { timeout: 30_000 });

async function waitForState(agent, id, states, what) {
  return pollUntil(
    () => agent.getBatchTaskInfoAsync(id),
    (t) => t !== null && states.includes(t.state),
    `${what} (task ${id}) to reach ${states.join("/")}`,
  );
}

const UPDATABLE = ["state", "description", "response", "request"];

/** Every member except the four updatable ones is as before (dates compared by time). */
function assertOnlyUpdatableChanged(before, after, what) {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    if (UPDATABLE.includes(k)) continue;
    assert.deepEqual(after[k], before[k], `${what}: member ${k} must not change`);
  }
}

describe("BatchAgent: start and get", () => {
  it(
    "startBatchJobAsync with a ParameterObject returns a new id; getBatchTaskInfoAsync returns the task",
    T,
    reportHttp(async () => {
      const params = { alpha: "1", "Mixed.Case Key": "Wert ø ✓", Seconds: "5" };
      const id = await admin.startBatchJobAsync({
        name: "Waiting",
        description: "interop start",
        parameterObject: params,
        request: "req-0",
        context: "ctx-0",
        fileName: "report.pdf",
        cancellationBehaviour: BatchTaskCancellationBehaviour.CancelWithWarning,
      });
      assert.equal(typeof id, "number", "StartBatchJob returns a bare number");
      assert.ok(Number.isInteger(id) && id > 0, `new id should be > 0, got ${id}`);

      const t = await admin.getBatchTaskInfoAsync(id);
      assert.ok(t, "the new task is found");
      assert.equal(t.id, id);
      assert.equal(t.name, "Waiting");
      assert.equal(t.description, "interop start");
      assert.deepEqual(t.parameterObject, params, "ParameterObject round-trips, keys unchanged");
      // No executor runs "Waiting": it stays New.
      assert.equal(t.state, BatchTaskState.New);
      assert.equal(t.associateId, adminId, "a user task belongs to the caller");
      assert.equal(t.isSystemTask, false);
      assert.equal(t.isInternalTask, false);
      assert.equal(t.startCount, 0);
      assert.equal(t.progressPercent, 0);
      assert.equal(t.request, "req-0");
      assert.equal(t.context, "ctx-0");
      assert.equal(t.fileName, "report.pdf");
      assert.equal(t.cancellationBehaviour, BatchTaskCancellationBehaviour.CancelWithWarning);
      assert.equal(t.detailsTable, 205, "DetailsTable points at binaryobject (spec §1.7)");
      assert.ok(Number.isInteger(t.detailsRecord) && t.detailsRecord > 0, "DetailsRecord is the blob id");
      assert.equal(typeof t.databaseSerialNumber, "string");
      assertRecentBaseZoneDate(t.created, "created");
      assertEmptyDate(t.lastStarted, "lastStarted of a task never started");

      // The same task through the base path /Cust12345.
      const viaPrefix = await adminPrefixed.getBatchTaskInfoAsync(id);
      assert.deepEqual(viaPrefix, t, "root and /Cust12345 serve the same task");
    }),
  );

  it(
    "a task started through /Cust12345 is visible at the root, with its ParameterObject",
    T,
    reportHttp(async () => {
      const id = await adminPrefixed.startBatchJobAsync({ name: "Waiting", parameterObject: { via: "prefix" } });
      assert.ok(Number.isInteger(id) && id > 0);
      const t = await admin.getBatchTaskInfoAsync(id);
      assert.ok(t);
      assert.equal(t.name, "Waiting");
      assert.deepEqual(t.parameterObject, { via: "prefix" });
      assert.equal(t.description, "", "Description null is stored as \"\" (spec §1.7)");
    }),
  );

  it(
    "Echo runs to Succeeded and its Response is the JSON of its parameters",
    T,
    reportHttp(async () => {
      const params = { greeting: "hello", n: "42" };
      const id = await admin.startBatchJobAsync({ name: "Echo", parameterObject: params });
      const t = await waitForState(admin, id, TERMINAL, "Echo");
      assert.equal(t.state, BatchTaskState.Succeeded, `Echo ended ${t.state}: ${t.result}`);
      assert.deepEqual(JSON.parse(t.response), params);
      assert.equal(t.startCount, 1);
      assertRecentBaseZoneDate(t.lastStarted, "lastStarted of a task that ran");
      assertRecentBaseZoneDate(t.created, "created");
      assert.ok(t.lastStarted.getTime() >= t.created.getTime() - 1000, "started after it was created");
    }),
  );

  it(
    "getBatchTaskInfoAsync of an unknown id returns null",
    T,
    reportHttp(async () => {
      assert.equal(await admin.getBatchTaskInfoAsync(MISSING_ID), null);
      assert.equal(await adminPrefixed.getBatchTaskInfoAsync(MISSING_ID), null);
    }),
  );

  it(
    "a user task started by alice belongs to alice; alice may not start a system task",
    T,
    reportHttp(async () => {
      const id = await alice.startBatchJobAsync({ name: "Waiting", description: "alice's" });
      const t = await admin.getBatchTaskInfoAsync(id);
      assert.equal(t.associateId, aliceId);
      assert.equal(t.isSystemTask, false);

      await assert.rejects(
        alice.startBatchJobAsync({ name: "Waiting", isSystemTask: true }),
        (err) => {
          assert.equal(err.response?.status, 403, `expected HTTP 403, got ${err.response?.status}`);
          return true;
        },
      );

      const sysId = await admin.startBatchJobAsync({ name: "Waiting", isSystemTask: true });
      const sys = await admin.getBatchTaskInfoAsync(sysId);
      assert.equal(sys.associateId, 0);
      assert.equal(sys.isSystemTask, true);
    }),
  );
});

describe("BatchAgent: updateBatchTaskAsync round trip", () => {
  it(
    "the object the client returned, changed and passed back whole, updates only the four members",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({
        name: "Waiting",
        description: "before",
        request: "req-before",
        parameterObject: { k: "v" },
      });
      const task = await admin.getBatchTaskInfoAsync(id);
      // lastStarted is the empty date: the client re-sends it re-serialized in this machine's zone
      // (e.g. "0000-12-31T23:06:32.000Z" under Europe/Oslo), spec §2.9.
      assertEmptyDate(task.lastStarted, "lastStarted");
      const before = structuredClone(task);

      task.state = BatchTaskState.Succeeded;
      task.description = "after";
      task.response = "resp-after";
      task.request = "req-after";
      const updated = await admin.updateBatchTaskAsync(task);

      assert.ok(updated, "UpdateBatchTask returns the task");
      assert.equal(updated.state, BatchTaskState.Succeeded);
      assert.equal(updated.description, "after");
      assert.equal(updated.response, "resp-after");
      assert.equal(updated.request, "req-after");
      assertOnlyUpdatableChanged(before, updated, "UpdateBatchTask result");

      const again = await admin.getBatchTaskInfoAsync(id);
      assert.deepEqual(again, updated, "a fresh get shows the update");
    }),
  );

  it(
    "round trip of a task that ran (real lastStarted/created), through /Cust12345",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Echo", parameterObject: { x: "1" }, description: "ran" });
      const task = await waitForState(adminPrefixed, id, TERMINAL, "Echo");
      assert.equal(task.state, BatchTaskState.Succeeded);
      const before = structuredClone(task);

      // SucceededManualCleanup: terminal, and never removed or restarted by the server.
      task.state = BatchTaskState.SucceededManualCleanup;
      task.description = "ran, then edited";
      task.response = "";
      task.request = "r";
      const updated = await adminPrefixed.updateBatchTaskAsync(task);
      assert.ok(updated);
      assert.equal(updated.state, BatchTaskState.SucceededManualCleanup);
      assert.equal(updated.description, "ran, then edited");
      assert.equal(updated.response, "");
      assert.equal(updated.request, "r");
      assertOnlyUpdatableChanged(before, updated, "UpdateBatchTask result");
      assert.deepEqual(await admin.getBatchTaskInfoAsync(id), updated);
    }),
  );

  it(
    "updating a task that does not exist returns null",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Waiting" });
      const task = await admin.getBatchTaskInfoAsync(id);
      task.id = MISSING_ID;
      task.description = "nobody";
      assert.equal(await admin.updateBatchTaskAsync(task), null);
    }),
  );
});

describe("BatchAgent: stopBatchJobAsync", () => {
  it(
    "stopping a running task returns true and the task ends Failed",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Sleep", parameterObject: { Seconds: "30" } });
      const running = await waitForState(admin, id, [BatchTaskState.Started, ...TERMINAL], "Sleep");
      assert.equal(running.state, BatchTaskState.Started);
      assert.equal(await admin.stopBatchJobAsync(id), true);
      const stopped = await waitForState(admin, id, TERMINAL, "stopped Sleep");
      assert.equal(stopped.state, BatchTaskState.Failed);
    }),
  );

  it(
    "stopping a waiting (New) task returns true and the task is Failed",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Waiting" });
      assert.equal(await admin.stopBatchJobAsync(id), true);
      const t = await admin.getBatchTaskInfoAsync(id);
      assert.equal(t.state, BatchTaskState.Failed);
    }),
  );

  it(
    "stopping a finished task returns false and changes nothing",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Echo", parameterObject: { a: "b" } });
      const done = await waitForState(admin, id, TERMINAL, "Echo");
      assert.equal(done.state, BatchTaskState.Succeeded);
      assert.equal(await admin.stopBatchJobAsync(id), false);
      assert.deepEqual(await admin.getBatchTaskInfoAsync(id), done);
    }),
  );

  it(
    "a CannotCancel task cannot be stopped, waiting or running",
    T,
    reportHttp(async () => {
      const waiting = await admin.startBatchJobAsync({
        name: "Waiting",
        cancellationBehaviour: BatchTaskCancellationBehaviour.CannotCancel,
      });
      const w = await admin.getBatchTaskInfoAsync(waiting);
      assert.equal(w.cancellationBehaviour, BatchTaskCancellationBehaviour.CannotCancel);
      assert.equal(await admin.stopBatchJobAsync(waiting), false);
      assert.equal((await admin.getBatchTaskInfoAsync(waiting)).state, BatchTaskState.New);

      const running = await adminPrefixed.startBatchJobAsync({
        name: "Sleep",
        parameterObject: { Seconds: "2" },
        cancellationBehaviour: BatchTaskCancellationBehaviour.CannotCancel,
      });
      const r = await waitForState(admin, running, [BatchTaskState.Started, ...TERMINAL], "Sleep");
      assert.equal(r.state, BatchTaskState.Started);
      assert.equal(await adminPrefixed.stopBatchJobAsync(running), false);
      const end = await waitForState(admin, running, TERMINAL, "CannotCancel Sleep");
      assert.equal(end.state, BatchTaskState.Succeeded, "the Stop did not cancel it");
    }),
  );

  it(
    "stopping an unknown id returns false",
    T,
    reportHttp(async () => {
      assert.equal(await admin.stopBatchJobAsync(MISSING_ID), false);
    }),
  );
});

describe("BatchAgent: deleteBatchTaskAsync / deleteBatchTasksAsync", () => {
  it(
    "deleted tasks are gone: get returns null and lists no longer show them",
    T,
    reportHttp(async () => {
      const ids = [];
      for (let i = 0; i < 4; i++) {
        ids.push(await admin.startBatchJobAsync({ name: "DeleteMe", parameterObject: { i: String(i) } }));
      }

      await admin.deleteBatchTaskAsync(ids[0]);
      assert.equal(await admin.getBatchTaskInfoAsync(ids[0]), null);

      await adminPrefixed.deleteBatchTasksAsync([ids[1], ids[2], MISSING_ID]);
      assert.equal(await admin.getBatchTaskInfoAsync(ids[1]), null);
      assert.equal(await admin.getBatchTaskInfoAsync(ids[2]), null);
      assert.ok(await admin.getBatchTaskInfoAsync(ids[3]), "a task not named in the delete remains");

      const left = await admin.getAllBatchTaskInfosByNameAsync("DeleteMe");
      assert.deepEqual(left.map((t) => t.id), [ids[3]]);

      // Unknown ids are ignored (idempotent).
      await admin.deleteBatchTaskAsync(ids[0]);
      await admin.deleteBatchTaskAsync(MISSING_ID);
      await admin.deleteBatchTasksAsync([]);
      assert.equal(await admin.getBatchTaskInfoAsync(MISSING_ID), null);
    }),
  );

  it(
    "deleting a running task stops it and removes it",
    T,
    reportHttp(async () => {
      const id = await admin.startBatchJobAsync({ name: "Sleep", parameterObject: { Seconds: "30" } });
      await waitForState(admin, id, [BatchTaskState.Started, ...TERMINAL], "Sleep");
      await admin.deleteBatchTaskAsync(id);
      assert.equal(await admin.getBatchTaskInfoAsync(id), null);
    }),
  );
});

describe("authentication", () => {
  function expect401(err) {
    assert.ok(err && err.isAxiosError, `expected an HTTP error, got ${err}`);
    assert.equal(err.response?.status, 401, `expected HTTP 401, got ${err.response?.status}`);
    return true;
  }

  it(
    "a wrong password is rejected with HTTP 401",
    T,
    reportHttp(async () => {
      const wrong = makeAgent(server.rootUrl, "admin", "not-the-password");
      await assert.rejects(wrong.getBatchTaskInfoAsync(1), expect401);
      await assert.rejects(wrong.startBatchJobAsync({ name: "Waiting" }), expect401);
      const wrongPrefixed = makeAgent(server.prefixedUrl, "alice", "not-the-password");
      await assert.rejects(wrongPrefixed.getBatchTaskInfosByStateAsync(BatchTaskState.All), expect401);
    }),
  );

  it(
    "an unknown user and no credentials are rejected with HTTP 401",
    T,
    reportHttp(async () => {
      const unknown = makeAgent(server.rootUrl, "mallory", "whatever");
      await assert.rejects(unknown.getBatchTaskInfoAsync(1), expect401);
      const anonymous = makeAgent(server.rootUrl);
      await assert.rejects(anonymous.getBatchTaskInfoAsync(1), expect401);
    }),
  );
});
