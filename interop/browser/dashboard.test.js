// The dashboard in a real browser: login, a task appearing and moving live, Stop, a screenshot.
//
// The steps share one server, one browser page and one task, so they run in order and a step whose
// predecessor failed is skipped rather than failing for a reason already reported. Artefacts go to
// target/browser/ of the repository: dashboard.png, and failure.png when a step fails.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const { REPO_ROOT, startServer, cli, chromiumLaunchOptions, until } = require("./helpers.js");

const ARTEFACTS = path.join(REPO_ROOT, "target", "browser");
const SCREENSHOT = path.join(ARTEFACTS, "dashboard.png");
const FAILURE_SCREENSHOT = path.join(ARTEFACTS, "failure.png");
const UI_TIMEOUT_MS = 15_000;

describe("dashboard in Chromium", { timeout: 90_000 }, () => {
  let server;
  let browser;
  let page;
  let taskId;
  let failed = false;
  const requests = [];
  const pageErrors = [];

  before(async () => {
    // Artefacts of an earlier run must not pass for this one's.
    fs.rmSync(SCREENSHOT, { force: true });
    fs.rmSync(FAILURE_SCREENSHOT, { force: true });
    server = await startServer();
    browser = await chromium.launch(chromiumLaunchOptions());
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    page = await context.newPage();
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    // Playwright dismisses dialogs by default, which would silently cancel a confirmed Stop; a user
    // would press OK.
    page.on("dialog", async (d) => {
      console.log(`dialog (${d.type()}): ${d.message()}`);
      await d.accept();
    });
  });

  after(async () => {
    if (failed && server) {
      const tail = server.log.join("").split("\n").slice(-40).join("\n");
      console.log(`--- sobatch log (last lines) ---\n${tail}`);
    }
    try {
      if (browser) await browser.close();
    } finally {
      if (server) await server.stop();
    }
  });

  /** Runs one step unless an earlier one failed; on failure keeps a screenshot of the page for
   * diagnosis and the server's log for the after hook. */
  const step = (name, fn) =>
    it(name, async (t) => {
      if (failed) {
        t.skip("an earlier step failed");
        return;
      }
      try {
        await fn();
      } catch (e) {
        failed = true;
        if (page) {
          try {
            fs.mkdirSync(ARTEFACTS, { recursive: true });
            await page.screenshot({ path: FAILURE_SCREENSHOT, fullPage: true, timeout: 5_000 });
            console.log(`failure screenshot: ${FAILURE_SCREENSHOT} (page ${page.url()})`);
          } catch {
            /* the page may be gone; the original error matters more */
          }
        }
        throw e;
      }
    });

  const row = () => page.locator(`#tasks tbody tr[data-task-id="${taskId}"]`);
  const stateText = async () => ((await row().locator("td.state").textContent()) ?? "").trim();
  const progressValue = () => row().locator("td.progress progress.bar").evaluate((el) => el.value);

  /** Clicks a submit button; resolves with the status of the form's POST once the document it
   * leads to (the redirect's target or the re-shown form) has loaded. */
  async function submitForm(button) {
    // The new document will not carry this mark; waiting for its absence survives the navigation.
    await page.evaluate(() => {
      window.__sobatchOldDocument = true;
    });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && r.request().isNavigationRequest()),
      button.click(),
    ]);
    await page.waitForFunction(() => !window.__sobatchOldDocument && document.readyState === "complete");
    return response.status();
  }

  step("an anonymous visit to /ui/ is redirected to the login page", async () => {
    const response = await page.goto(`${server.url}/ui/`);
    assert.equal(new URL(page.url()).pathname, "/ui/login", `expected to land on /ui/login, got ${page.url()}`);
    const hop = response.request().redirectedFrom();
    assert.ok(hop, "expected /ui/ to redirect");
    assert.equal((await hop.response()).status(), 303, "expected /ui/ to answer 303");
    const form = page.locator('form#login[method="post"]');
    await form.waitFor();
    assert.equal(await form.locator('input[name="password"]').getAttribute("type"), "password");
  });

  step("a wrong password shows the login page again with an error", async () => {
    await page.fill('#login input[name="username"]', "admin");
    await page.fill('#login input[name="password"]', "not-the-password");
    const status = await submitForm(page.locator('#login button[type="submit"]'));
    assert.equal(status, 401, "a wrong password should answer 401");
    await page.locator(".error").first().waitFor({ state: "visible" });
    assert.equal(new URL(page.url()).pathname, "/ui/login");
  });

  step("admin with the right password lands on the task list", async () => {
    await page.fill('#login input[name="username"]', server.user);
    await page.fill('#login input[name="password"]', server.password);
    const status = await submitForm(page.locator('#login button[type="submit"]'));
    assert.equal(status, 303, "a successful login should answer 303");
    await page.waitForURL((u) => u.pathname === "/ui/");
    await page.locator("table#tasks").waitFor();
    assert.ok((await page.context().cookies()).length > 0, "the login should set a session cookie");
  });

  step("a task started from the CLI appears and moves without a reload", async () => {
    // A reload would replace the window object and lose this mark.
    await page.evaluate(() => {
      window.__sobatchNoReload = true;
    });
    const out = await cli(server, ["submit", "Sleep", "-p", "Seconds=30", "--description", "browser test"]);
    assert.match(out, /^\d+$/, `submit should print the new id, printed ${JSON.stringify(out)}`);
    taskId = Number(out);

    await row().waitFor({ state: "attached", timeout: UI_TIMEOUT_MS });
    const firstId = await page.locator("#tasks tbody tr").first().getAttribute("data-task-id");
    assert.equal(firstId, String(taskId), "the new row should be inserted at the top");

    await until(async () => (await stateText()) === "Started", `task ${taskId} to show Started`, UI_TIMEOUT_MS);
    const before = await progressValue();
    const after = await until(
      async () => {
        const v = await progressValue();
        return v > before ? v : 0;
      },
      `task ${taskId}'s progress bar to move past ${before}`,
      UI_TIMEOUT_MS,
    );
    assert.ok(after > before && after <= 100, `progress should rise within 0..100: ${before} then ${after}`);
    assert.equal(await stateText(), "Started");
    assert.equal(await page.evaluate(() => window.__sobatchNoReload), true, "the page was reloaded");
  });

  step("Stop ends the task Failed", async () => {
    const status = await submitForm(row().locator('form.stop button[type="submit"]'));
    assert.equal(status, 303, "Stop should answer 303");
    await page.waitForURL((u) => u.pathname === "/ui/");
    await until(async () => (await stateText()) === "Failed", `task ${taskId} to show Failed`, UI_TIMEOUT_MS);
    // A fresh render must not offer Stop for a finished task (the live script only updates text).
    await page.reload();
    assert.equal(await stateText(), "Failed");
    assert.equal(await row().locator("form.stop").count(), 0, "a Failed task should have no Stop form");
    assert.equal(await row().locator("form.delete").count(), 1, "the task should have a Delete form");
  });

  step("screenshot of the task list", async () => {
    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(fs.statSync(SCREENSHOT).size > 0);
    console.log(`screenshot: ${SCREENSHOT}`);
  });

  // Not a step: what the page fetched matters even when the dashboard misbehaved earlier.
  it("the page only talked to 127.0.0.1 and raised no script errors", async () => {
    const foreign = requests.filter((u) => {
      const { protocol, hostname } = new URL(u);
      // data: and blob: URLs never leave the browser.
      return !(protocol === "data:" || protocol === "blob:" || hostname === "127.0.0.1");
    });
    assert.deepEqual(foreign, [], "requests to hosts other than 127.0.0.1");
    assert.ok(requests.length > 0, "no requests were recorded");
    assert.deepEqual(pageErrors, [], "uncaught errors in the page");
  });
});
