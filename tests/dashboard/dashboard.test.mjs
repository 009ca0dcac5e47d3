// End-to-end tests of the dashboard page: Debian's Chromium drives the page served by the real
// server, which explains with the real default model over gRPC-Web.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, launchBrowser, metricSum, readMetrics, startServer } from "./harness.mjs";
import {
  INVALID, OK, cancelledExplainCalls, explain, explainCalls, newContext, openDashboard, recordProgress, review600Words, rgb, tokenInfo, waitDone, waitFirstProgress, waitInFlightZero, session,
} from "./page.mjs";

let server;
let browser;
// 2048 steps run for minutes on CPU, with a progress event after every internal batch (25 rows by
// default), so a run is still going when it is cancelled, and the server notices within one batch.
const LONG_RUN_STEPS = 2048;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  Object.assign(session, { server, browser });
  mkdirSync(artifactsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("Explain_PositiveReview_ProgressReaches100AndSuperbIsGreen", async () => {
  const context = await newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
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
    // Whole words are spans of the original text, so they keep its case.
    assert.deepEqual(words, ["[CLS]", "This", "movie", "is", "superb", "[SEP]"]);

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
  const contextA = await newContext();
  const contextB = await newContext();
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
    // 200 steps in internal batches: the bar moved through intermediate values and the live preview
    // showed partial attributions of this page's tokens before the result came.
    const progressA = await a.page.evaluate(() => window.__progress);
    assert.ok(progressA.some((v) => v > 0 && v < 100), `no intermediate progress: ${progressA.join(",")}`);
    const previewsA = await a.page.evaluate(() => window.__previews);
    assert.ok(previewsA.some((p) => p.percent < 100 && p.tokens.some((t) => t.startsWith("superb:"))), JSON.stringify(previewsA));
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
  const context = await newContext();
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
  const context = await newContext();
  try {
    const { page, errors } = await openDashboard(context);
    await explain(page, "This movie is superb", LONG_RUN_STEPS);
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

test("Explain_BlankTextAnd5000Steps_RefusedInThePageNextToTheFields_NoCallToTheServer", async () => {
  const context = await newContext();
  try {
    const { page, errors } = await openDashboard(context);
    const invalidBefore = await explainCalls(INVALID);
    const okBefore = await explainCalls(OK);
    // Blank but not empty: the browser's "required" check passes, the contract's not-blank pattern does not. The
    // steps box's own max is lifted (as an older page or a pasted value would), so only the contract's rule is left.
    await page.evaluate(() => document.getElementById("steps").removeAttribute("max"));
    await explain(page, "   ", 5000);
    await page.waitForSelector("body[data-run-state='error']");
    const status = await page.textContent("#status");
    assert.match(status, /^InvalidArgument: Invalid request: .*\btext: .*\bn_steps: .*2048/, status);
    assert.equal(await page.getAttribute("#status", "data-kind"), "error");
    assert.equal(await page.textContent("#progress-text"), "Failed: InvalidArgument");
    assert.equal(await page.getAttribute("#text", "aria-invalid"), "true");
    assert.equal(await page.getAttribute("#steps", "aria-invalid"), "true");
    assert.match(await page.textContent(".field-violation[data-field='text']"), /string\.pattern/);
    assert.match(await page.textContent(".field-violation[data-field='n_steps']"), /2048/);
    // The note sits right after its control.
    assert.equal(await page.evaluate(() => document.getElementById("steps").nextElementSibling?.dataset.field), "n_steps");
    assert.equal(await page.locator("#result").isHidden(), true);
    assert.equal(await explainCalls(INVALID), invalidBefore, "the refused request reached the server");

    // Fixed, the same form explains, and the marks are gone.
    await explain(page, "This movie is superb", 8);
    await waitDone(page);
    assert.equal(await page.locator(".field-violation").count(), 0);
    assert.equal(await page.getAttribute("#text", "aria-invalid"), null);
    // The server counts a call as it ends, which may be just after the page has the result.
    const deadline = Date.now() + 10_000;
    while ((await explainCalls(OK)) === okBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await explainCalls(OK), okBefore + 1, "the fixed request did not reach the server");
    assert.equal(await explainCalls(INVALID), invalidBefore);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Explain_600WordText_WithoutTruncate_ErrorReplacesStartingAndPointsToTruncate", async () => {
  const context = await newContext();
  try {
    const { page, errors } = await openDashboard(context);
    assert.equal(await page.inputValue("#long-text"), "");
    await explain(page, review600Words(), 4);
    await page.waitForSelector("body[data-run-state='error']");

    const status = await page.textContent("#status");
    assert.match(status, /^InvalidArgument: .*limit of 512\b.*Choose "Long texts": truncate .* or overlapping windows/, status);
    assert.equal(await page.getAttribute("#status", "data-kind"), "error");
    // The line that said "Starting..." now says the run failed.
    assert.equal(await page.textContent("#progress-text"), "Failed: InvalidArgument");
    assert.equal(await page.getAttribute("#progress-text", "data-kind"), "error");
    assert.equal(await page.locator("#long-text").locator("xpath=ancestor::label").getAttribute("data-attention"), "true");
    assert.equal(await page.locator("#result").isHidden(), true);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Explain_600WordText_WithTruncate_FullWidthTokensVisibleColoursAndScoreExplained", async () => {
  const context = await newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const { page, errors } = await openDashboard(context);
    await page.selectOption("#long-text", "TRUNCATE");
    await explain(page, review600Words(), 4);
    await waitDone(page, 300_000);

    // The first 512 tokens ([CLS] ... [SEP]) are explained, and the page says the text was cut.
    const tokens = await page.locator("#word-importance [data-token]").evaluateAll((nodes) =>
      nodes.map((n) => ({
        token: n.dataset.token,
        normalized: Number(n.dataset.normalized),
        title: n.title,
        color: getComputedStyle(n).backgroundColor,
      })),
    );
    assert.equal(tokens.length, 512);
    assert.equal(tokens[0].token, "[CLS]");
    assert.equal(tokens.at(-1).token, "[SEP]");
    assert.match(await page.textContent("#status"), /cut to the model's limit of 512 tokens/);
    assert.match(await page.textContent("#report"), /the text was cut to the model's token limit/);

    // The tokens use the report's full width, not a narrow table column.
    const importance = await page.locator("#word-importance").boundingBox();
    const report = await page.locator("#report").boundingBox();
    assert.ok(importance.width >= 0.95 * report.width && importance.width > 1000, `tokens ${importance.width}px wide in a ${report.width}px report`);

    // Every token with a share of at least 0.5% is tinted in its sign's hue, small shares included (a 512-token
    // text spreads the L2 norm thin: on Captum's linear scale those would be within 2% of white).
    const visible = tokens.filter((t) => Math.abs(t.normalized) >= 0.005);
    const small = visible.filter((t) => Math.abs(t.normalized) < 0.05);
    assert.ok(visible.length > 100 && small.length > 0, `visible ${visible.length}, small ${small.length}`);
    for (const t of visible) {
      const [r, g, b] = rgb(t.color);
      assert.ok(Math.min(r, g, b) <= 235, `${t.token} (${t.normalized}) is almost white: ${t.color}`);
      if (t.normalized > 0) assert.ok(g > r && g > b, `${t.token} (${t.normalized}) is not green: ${t.color}`);
      else assert.ok(r > g && r > b, `${t.token} (${t.normalized}) is not red: ${t.color}`);
    }
    // The exact value is on hover.
    assert.match(tokens[1].title, /^attribution -?\d+\.\d{4}|^attribution -?\d\.\d+e[-+]\d+/);

    // Next to the score: what it is, with this result's numbers.
    const help = await page.textContent("#attribution-score-help");
    assert.match(help, /F\(x\) \u2212 F\(baseline\) = -?\d+\.\d{4} \u2212 -?\d+\.\d{4}/, help);
    assert.match(await page.textContent("#result th:nth-child(3)"), /F\(x\) \u2212 F\(baseline\)/);
    await page.screenshot({ path: path.join(artifactsDir, "dashboard-600-words.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("ClosePage_WhileStreaming_ServerStopsTheExplanation", async () => {
  const context = await newContext();
  try {
    const { page } = await openDashboard(context);
    const before = await cancelledExplainCalls();
    // Long enough that it is still running when the tab closes.
    await explain(page, "This movie is superb", LONG_RUN_STEPS);
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
