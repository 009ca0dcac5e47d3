// End-to-end tests of the dashboard page: Debian's Chromium drives the page served by the real
// server, which explains with the real default model over gRPC-Web.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, launchBrowser, metricSum, readMetrics, startServer } from "./harness.mjs";

let server;
let browser;
// About 130 tokens: at 2048 steps this runs long enough on CPU to still be running when cancelled.
const LONG_TEXT = "This movie is superb, the cast is wonderful and the story moves along nicely. ".repeat(8);

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  mkdirSync(artifactsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the page and waits until it has asked the server for its models. */
async function openDashboard(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.baseUrl}/`);
  await page.waitForSelector("body[data-ready='true']");
  return { page, errors };
}

/** Records every aria-valuenow the progress bar takes, from now on. */
async function recordProgress(page) {
  await page.evaluate(() => {
    const bar = document.getElementById("progress");
    window.__progress = [];
    new MutationObserver(() => window.__progress.push(Number(bar.getAttribute("aria-valuenow")))).observe(bar, {
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
  });
}

async function explain(page, text, steps) {
  await page.fill("#text", text);
  await page.fill("#steps", String(steps));
  await page.click("#explain");
}

/** Waits for the first progress event of the run (the bar's text then reads "Step n / N"). */
async function waitFirstProgress(page) {
  await page.waitForFunction(() => document.getElementById("progress-text").textContent.startsWith("Step "), null, { timeout: 120_000 });
}

async function waitDone(page, timeout = 180_000) {
  await page.waitForSelector("body[data-run-state='done'], body[data-run-state='error']", { timeout });
  const state = await page.getAttribute("body", "data-run-state");
  assert.equal(state, "done", `run ended in state ${state}: ${await page.textContent("#status")}`);
}

/** Parses "rgb(r, g, b)" as computed by the browser. */
function rgb(css) {
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  assert.ok(match, `not an rgb colour: ${css}`);
  return match.slice(1, 4).map(Number);
}

async function tokenInfo(page, token) {
  const locator = page.locator(`#word-importance [data-token="${token}"]`).first();
  await locator.waitFor();
  return {
    sign: await locator.getAttribute("data-sign"),
    color: rgb(await locator.evaluate((node) => getComputedStyle(node).backgroundColor)),
  };
}

test("Explain_PositiveReview_ProgressReaches100AndSuperbIsGreen", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  try {
    const { page, errors } = await openDashboard(context);
    const models = await page.locator("#model option").allTextContents();
    assert.ok(models.some((m) => m.startsWith("minilm-sentiment")), `models offered: ${models.join(", ")}`);
    const targets = await page.locator("#target option").allTextContents();
    assert.deepEqual(targets, ["(predicted)", "negative", "positive"]);

    await recordProgress(page);
    await explain(page, "This movie is superb", 50);
    await waitDone(page);

    assert.equal(await page.getAttribute("#progress", "aria-valuenow"), "100");
    const seen = await page.evaluate(() => window.__progress);
    assert.equal(seen.at(-1), 100, `progress values: ${seen.join(",")}`);
    assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]), `progress went backwards: ${seen.join(",")}`);

    assert.match(await page.textContent("#predicted-label"), /^positive \(\d+\.\d%\)$/);
    assert.match(await page.textContent("#target-label"), /^positive \(index 1\)$/);
    assert.equal(await page.textContent("#steps-used"), "50");
    assert.ok(Number.isFinite(Number(await page.textContent("#convergence-delta"))));
    assert.ok(Number.isFinite(Number(await page.textContent("#attribution-score"))));
    await page.locator("#legend").waitFor();

    // WordPiece view (the default), then whole words: "superb" pushes towards "positive".
    const tokens = await page.locator("#word-importance [data-token]").evaluateAll((nodes) => nodes.map((n) => n.dataset.token));
    assert.equal(tokens[0], "[CLS]");
    assert.equal(tokens.at(-1), "[SEP]");
    for (const view of ["#view-tokens", "#view-words"]) {
      await page.check(view);
      const superb = await tokenInfo(page, "superb");
      assert.equal(superb.sign, "pos", `${view}: superb has sign ${superb.sign}`);
      const [r, g, b] = superb.color;
      assert.ok(g > r && g > b, `${view}: superb is not green: rgb(${r}, ${g}, ${b})`);
    }
    const words = await page.locator("#word-importance [data-token]").evaluateAll((nodes) => nodes.map((n) => n.dataset.token));
    for (const word of ["this", "movie", "is", "superb"]) assert.ok(words.includes(word), `words view: ${words.join(" ")}`);

    await page.check("#view-tokens");
    await page.screenshot({ path: path.join(artifactsDir, "dashboard.png"), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const html = readFileSync(await download.path(), "utf8");
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /<style>[^<]*\.bertig-token/);
    assert.match(html, /data-token="superb"[^>]*data-sign="pos"/);
    assert.doesNotMatch(html, /<script|<link|src=/i, "the downloaded report must be self-contained and script-free");
    // Opened on its own (no server, no network), the file still shows "superb" in green.
    const offline = await context.newPage();
    await offline.route("**/*", (route) => route.abort());
    await offline.setContent(html);
    const [r, g, b] = rgb(await offline.locator('[data-token="superb"]').first().evaluate((n) => getComputedStyle(n).backgroundColor));
    assert.ok(g > r && g > b, `downloaded report: superb is rgb(${r}, ${g}, ${b})`);
    await offline.screenshot({ path: path.join(artifactsDir, "report.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Explain_TwoPagesAtOnce_BothStreamTheirOwnResult", async () => {
  const contextA = await browser.newContext();
  const contextB = await browser.newContext();
  try {
    const a = await openDashboard(contextA);
    const b = await openDashboard(contextB);
    await recordProgress(a.page);
    await recordProgress(b.page);
    // Start both before waiting for either: two gRPC-Web streams open at the same time.
    await Promise.all([
      explain(a.page, "This movie is superb", 200),
      explain(b.page, "The plot was boring and the acting awful", 120),
    ]);
    await Promise.all([waitDone(a.page), waitDone(b.page)]);

    for (const { page } of [a, b]) assert.equal(await page.getAttribute("#progress", "aria-valuenow"), "100");
    assert.equal(await a.page.textContent("#steps-used"), "200");
    assert.equal(await b.page.textContent("#steps-used"), "120");
    assert.match(await a.page.textContent("#predicted-label"), /^positive /);
    assert.match(await b.page.textContent("#predicted-label"), /^negative /);
    // Each page shows the tokens of its own text, nothing of the other's.
    const tokensA = await a.page.locator("#word-importance [data-token]").evaluateAll((n) => n.map((x) => x.dataset.token));
    const tokensB = await b.page.locator("#word-importance [data-token]").evaluateAll((n) => n.map((x) => x.dataset.token));
    assert.ok(tokensA.includes("superb") && !tokensA.includes("boring"), tokensA.join(" "));
    assert.ok(tokensB.includes("boring") && !tokensB.includes("superb"), tokensB.join(" "));
    assert.equal((await tokenInfo(a.page, "superb")).sign, "pos");
    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await contextA.close();
    await contextB.close();
  }
});

test("Explain_MarkupInText_IsShownAsTextNotParsed", async () => {
  const context = await browser.newContext();
  try {
    const { page, errors } = await openDashboard(context);
    await explain(page, 'A superb <img src=x onerror="window.__pwned=1"> film', 20);
    await waitDone(page);
    assert.equal(await page.locator("#report img, #preview img").count(), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.ok((await page.locator('#word-importance [data-token="<"]').count()) > 0, "the '<' token is shown as text");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Cancel_WhileStreaming_StopsTheCallAndPageStaysUsable", async () => {
  const context = await browser.newContext();
  try {
    const { page, errors } = await openDashboard(context);
    await explain(page, LONG_TEXT, 2048);
    await waitFirstProgress(page);
    await page.click("#cancel");
    await page.waitForSelector("body[data-run-state='cancelled']", { timeout: 10_000 });
    assert.equal(await page.textContent("#status"), "Cancelled.");
    assert.ok(Number(await page.getAttribute("#progress", "aria-valuenow")) < 100);
    await waitInFlightZero();

    await explain(page, "This movie is superb", 10);
    await waitDone(page);
    assert.equal(await page.textContent("#steps-used"), "10");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Explain_BlankText_ShowsTheServersInvalidArgumentNamingTheField", async () => {
  const context = await browser.newContext();
  try {
    const { page, errors } = await openDashboard(context);
    // Blank but not empty: the browser's "required" check passes, the contract's not_blank rule does not.
    await explain(page, "   ", 10);
    await page.waitForSelector("body[data-run-state='error']", { timeout: 30_000 });
    const status = await page.textContent("#status");
    assert.match(status, /^InvalidArgument: .*\btext\b/, status);
    assert.equal(await page.getAttribute("#status", "data-kind"), "error");
    assert.equal(await page.locator("#result").isHidden(), true);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

/** Explain calls the server ended with CANCELLED, from /metrics. */
async function cancelledExplainCalls() {
  const samples = await readMetrics(server.baseUrl);
  return metricSum(samples, "bertig_grpc_requests_total", (l) => /Explain$/.test(l.method ?? "") && /^cancel+ed$/i.test(l.code ?? ""));
}

async function waitInFlightZero(timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let inFlight = NaN;
  while (Date.now() < deadline) {
    inFlight = metricSum(await readMetrics(server.baseUrl), "bertig_explain_in_flight");
    if (inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the server still runs ${inFlight} explanation(s) ${timeoutMs} ms after the page went away`);
}

test("ClosePage_WhileStreaming_ServerStopsTheExplanation", async () => {
  const context = await browser.newContext();
  try {
    const { page } = await openDashboard(context);
    const before = await cancelledExplainCalls();
    // Long enough that it is still running when the tab closes.
    await explain(page, LONG_TEXT, 2048);
    await waitFirstProgress(page);
    assert.equal(await page.getAttribute("body", "data-run-state"), "running");
    assert.ok(metricSum(await readMetrics(server.baseUrl), "bertig_explain_in_flight") >= 1, "the explanation runs on the server");
    await page.close({ runBeforeUnload: true });
    await waitInFlightZero();
    assert.ok((await cancelledExplainCalls()) > before, "the server recorded the Explain call as cancelled");
  } finally {
    await context.close();
  }
});
