// The dashboard in a real headless Chromium: live events and logs, cancel and replay, and the login link with a secret.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { api, type BackendOptions, startBackend } from "./backend-helpers.js";
import { launchChromium, screenshotPath } from "./browser-helpers.js";
import { copyFixture, runCli } from "./helpers.js";

const SECRET = "s3cret-for-the-browser-91ab";
/** Each test stops its service with SIGTERM at the end; a step still running then is killed within 2 s. */
const GRACE = ["--grace-ms", "2000"];
let browser: Browser;

/** A service for one test, stopped with SIGTERM when the test ends (also when it fails), so its steps are stopped too. */
async function startService(options: BackendOptions = {}) {
  const backend = await startBackend({ project: copyFixture("dashboard"), args: GRACE, ...options });
  onTestFinished(async () => {
    await backend.stop();
  });
  return backend;
}

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A page in its own context (own cookies), closed when the test ends; page errors fail the test. */
async function openPage(options: { colorScheme?: "dark" | "light"; width?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: options.width ?? 1100, height: 900 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) problems.push(message.text());
  });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;
const runStatus = (page: Page) => page.getByTestId("run-status").locator(".status").first();

/** The whole scenario on one service: the same steps run with and without a secret. */
async function scenario(page: Page, url: string, post: (event: unknown) => Promise<void>, tag: string) {
  await page.getByRole("heading", { name: "Events" }).waitFor();
  expect(await page.textContent("body")).not.toContain("Loading the dashboard");
  await expect.poll(() => page.getByTestId("live").textContent()).toBe("live");

  // An event posted now shows up without a reload, with its run's status.
  const id = `${tag}-tick`;
  await post({ id, type: "demo.tick", payload: { count: 8, everyMs: 400 } });
  const card = page.locator(`[data-event-id="${id}"]`);
  await card.waitFor({ timeout: 15_000 });
  await card.locator(".run-chip").waitFor();
  await page.screenshot({ path: screenshotPath(`${tag}-events`), fullPage: true });

  // Its run page: the log grows while the run is running, then the result with its artifacts tree.
  await card.locator(".run-chip").first().click();
  const log = page.getByTestId("log");
  await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("tick 1");
  expect(await runStatus(page).textContent()).toBe("running");
  const early = (await log.textContent()) ?? "";
  await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("tick 4");
  expect(early).not.toContain("tick 4");
  await expect.poll(() => runStatus(page).textContent(), { timeout: 20_000 }).toBe("completed");
  const result = page.getByTestId("result");
  await expect.poll(() => result.textContent()).toContain("ticked 8 times");
  expect(await result.locator(".tree").first().textContent()).toContain('"b.txt"');
  expect(await page.getByTestId("log-state").textContent()).toBe("finished");
  expect(await page.getByTestId("attempts").locator("li").count()).toBe(1);
  await page.screenshot({ path: screenshotPath(`${tag}-run`), fullPage: true });

  // Replay from the event page: the answer is shown, and the new run appears.
  await page
    .locator(`a[href="#/events/${encodeURIComponent(id)}"]`)
    .first()
    .click();
  await page.getByRole("button", { name: "Replay event" }).click();
  await expect.poll(() => page.getByTestId("outcome").textContent()).toBe("Replay 1: 1 run(s) queued.");
  await page.getByTestId("event-runs").getByText("ticker/tick (replay 1)").waitFor({ timeout: 15_000 });

  // Cancel a slow run from its page.
  const slow = `${tag}-slow`;
  await post({ id: slow, type: "demo.tick", payload: { count: 1000, everyMs: 200 } });
  await page.goto(`${url}/#/events/${slow}`);
  await page.getByTestId("event-runs").locator("a.title").first().click();
  await expect.poll(() => runStatus(page).textContent(), { timeout: 15_000 }).toBe("running");
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect.poll(() => page.getByTestId("outcome").textContent(), { timeout: 15_000 }).toBe("Run canceled.");
  await expect.poll(() => runStatus(page).textContent()).toBe("canceled");

  // The lists' filters: events by text and type, runs by status and flow.
  await page.getByRole("link", { name: "Events", exact: true }).click();
  const events = page.getByTestId("events").locator("[data-event-id]");
  await expect.poll(() => events.count()).toBe(2);
  await page.getByLabel("Text").fill("slow");
  await expect.poll(() => events.count()).toBe(1);
  expect(await events.first().getAttribute("data-event-id")).toBe(slow);
  await page.getByLabel("Text").fill("");
  await page.getByLabel("Type").fill("demo.other");
  await page.getByLabel("Type").press("Enter");
  await page.getByText("No events match.").waitFor();
  await page.getByRole("link", { name: "Runs", exact: true }).click();
  const runs = page.getByTestId("runs").locator("[data-run-id]");
  await expect.poll(() => runs.count()).toBe(3);
  await page.getByLabel("Status").selectOption("canceled");
  await expect.poll(() => runs.count()).toBe(1);
  expect(await runs.first().locator(".status").first().textContent()).toBe("canceled");
  expect(await runs.first().textContent()).toMatch(/attempts 1\/1.*worker local:/s);
  await page.getByLabel("Flow").fill("nope");
  await page.getByLabel("Flow").press("Enter");
  await page.getByText("No runs match.").waitFor();
  expect(problemsOf(page)).toEqual([]);
}

describe("dashboard in Chromium", () => {
  test("without a secret: live events, a growing log, result, replay and cancel", async () => {
    const backend = await startService();
    const page = await openPage();
    await page.goto(`${backend.url}/`);
    await scenario(
      page,
      backend.url,
      async (event) => {
        expect((await api(backend.url, "POST", "/events", event)).status).toBe(202);
      },
      "open",
    );
    await page.context().close();
    expect(await backend.stop()).toBe(0);
  }, 120_000);

  test("with a secret: in through the login link; no session, no access; no CSRF token, no POST", async () => {
    const backend = await startService({ env: { CODEX_FLOW_BACKEND_SECRET: SECRET } });
    const page = await openPage();
    const refused = await page.goto(`${backend.url}/`);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent("body")).toContain("codex-flows backend open");

    const opened = await runCli(["backend", "open", "--print", "--url", backend.url, "--secret", SECRET]);
    expect(opened.code, opened.stderr).toBe(0);
    await page.goto(opened.stdout.trim());
    await page.waitForURL(`${backend.url}/`);
    expect(await page.content()).not.toContain(SECRET);
    await scenario(
      page,
      backend.url,
      async (event) => {
        expect((await api(backend.url, "POST", "/events", event, { secret: SECRET })).status).toBe(202);
      },
      "secret",
    );

    // The page's own cookie without the CSRF header: refused, and nothing replayed.
    const forged = await page.evaluate(async () => {
      const answer = await fetch("/events/secret-tick/replay", { method: "POST", body: "{}" });
      return { status: answer.status, body: (await answer.json()) as { error: string } };
    });
    expect(forged.status).toBe(403);
    expect(forged.body.error).toMatch(/x-csrf-token/);
    const event = await api(backend.url, "GET", "/events/secret-tick", undefined, { secret: SECRET });
    expect(event.body.event.replays).toBe(1);

    // A link clicked in another site's page (a chat, a mail) works too: the Strict cookie is set by
    // the login page and sent by the load of / that the page itself starts.
    const second = await runCli(["backend", "open", "--print", "--url", backend.url, "--secret", SECRET]);
    const clicked = await openPage();
    await clicked.setContent(`<a id="go" href="${second.stdout.trim()}">log in</a>`);
    await clicked.click("#go");
    await clicked.waitForURL(`${backend.url}/`);
    await clicked.getByRole("heading", { name: "Events" }).waitFor();
    await clicked.locator('[data-event-id="secret-tick"]').waitFor();
    await clicked.context().close();

    // Another browser context has no session: the API and the live feed stay closed to it.
    const stranger = await openPage();
    const stream = await stranger.goto(`${backend.url}/stream`);
    expect(stream?.status()).toBe(401);
    const events = await stranger.goto(`${backend.url}/events`);
    expect(events?.status()).toBe(401);
    await stranger.context().close();
    await page.context().close();
    expect(await backend.stop()).toBe(0);
  }, 150_000);

  test("a running step's long log shows its last lines at once, scrolled to the end", async () => {
    const backend = await startService();
    await api(backend.url, "POST", "/events", {
      id: "long",
      type: "demo.tick",
      payload: { count: 5000, everyMs: 0, holdMs: 60_000 },
    });
    const [run] = (await api(backend.url, "GET", "/runs?eventId=long")).body.runs;
    // The whole log is stored before the page opens.
    await expect
      .poll(
        async () =>
          (await api(backend.url, "GET", `/runs/${run.id}/output?limit=10000`)).body.chunks
            .map((chunk: { text: string }) => chunk.text)
            .join(""),
        { timeout: 20_000 },
      )
      .toContain("tick 5000");
    const page = await openPage();
    await page.goto(`${backend.url}/#/runs/${run.id}`);
    const log = page.getByTestId("log");
    await expect.poll(() => log.textContent(), { timeout: 10_000 }).toContain("tick 4999");
    expect(await runStatus(page).textContent()).toBe("running");
    const scrolled = await page.evaluate(
      `(() => { const box = document.querySelector('[data-testid="log"]'); return box.scrollTop + box.clientHeight >= box.scrollHeight - 30; })()`,
    );
    expect(scrolled).toBe(true);
    expect(await page.getByTestId("log-state").textContent()).toBe("following");
    await page.getByRole("button", { name: "Cancel run" }).click();
    await expect.poll(() => runStatus(page).textContent(), { timeout: 15_000 }).toBe("canceled");
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
    expect(await backend.stop()).toBe(0);
  }, 90_000);

  test("readable at phone width in dark mode: no sideways scrolling, dark background; a failed run shows its error", async () => {
    const backend = await startService();
    await api(backend.url, "POST", "/events", {
      id: `phone-${"long-id-".repeat(12)}`,
      type: "demo.tick",
      payload: { count: 2, everyMs: 10 },
    });
    const page = await openPage({ colorScheme: "dark", width: 375 });
    await page.goto(`${backend.url}/`);
    await page.locator(".card .status").first().waitFor();
    // Strings, since the tests are type-checked without the DOM library.
    const layout = (await page.evaluate(
      "({ scrollWidth: document.documentElement.scrollWidth, width: innerWidth, background: getComputedStyle(document.body).backgroundColor })",
    )) as { scrollWidth: number; width: number; background: string };
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
    expect(layout.background).toBe("rgb(13, 17, 23)");
    await page.screenshot({ path: screenshotPath("phone-dark-events"), fullPage: true });
    await page.locator(".run-chip").first().click();
    await page.getByTestId("result").waitFor({ timeout: 20_000 });
    expect(await page.evaluate("document.documentElement.scrollWidth <= innerWidth")).toBe(true);
    await page.screenshot({ path: screenshotPath("phone-dark-run"), fullPage: true });

    // A failed run shows its error.
    await api(backend.url, "POST", "/events", {
      id: "phone-fail",
      type: "demo.tick",
      payload: { count: 1, everyMs: 1, fail: true },
    });
    await page.goto(`${backend.url}/#/events/phone-fail`);
    await page.getByTestId("event-runs").locator("a.title").first().click();
    await expect.poll(() => runStatus(page).textContent(), { timeout: 20_000 }).toBe("failed");
    await expect.poll(() => page.getByTestId("run-error").textContent()).toContain("giving up on purpose");
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
    expect(await backend.stop()).toBe(0);
  }, 90_000);
});
