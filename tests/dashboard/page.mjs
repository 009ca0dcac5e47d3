// Page helpers of the dashboard's end-to-end tests (dashboard.test.mjs): contexts, the form, progress, results and the
// server's /metrics. `session` holds the server and browser that the test file's before() starts.
import assert from "node:assert/strict";
import { metricSum, readMetrics } from "./harness.mjs";

/** The running server and browser, set by the test file. */
export const session = { server: undefined, browser: undefined };

/**
 * A fresh browser context (own cookies and connections, like another user). Generous timeouts:
 * on a busy 2-core machine one ONNX Runtime batch can take seconds and delay everything else.
 */
export async function newContext(options = {}) {
  const context = await session.browser.newContext(options);
  context.setDefaultTimeout(120_000);
  context.setDefaultNavigationTimeout(120_000);
  return context;
}

/** Opens the page and waits until it has asked the server for its models. */
export async function openDashboard(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${session.server.baseUrl}/`);
  await page.waitForSelector("body[data-ready='true']");
  return { page, errors };
}

/** Records every aria-valuenow the progress bar takes, and every live preview shown, from now on. */
export async function recordProgress(page) {
  await page.evaluate(() => {
    const bar = document.getElementById("progress");
    window.__progress = [];
    new MutationObserver(() => window.__progress.push(Number(bar.getAttribute("aria-valuenow")))).observe(bar, {
      attributes: true,
      attributeFilter: ["aria-valuenow"],
    });
    const preview = document.getElementById("preview-tokens");
    window.__previews = [];
    new MutationObserver(() => {
      const tokens = [...preview.querySelectorAll("[data-token]")].map((n) => `${n.dataset.token}:${n.dataset.sign}`);
      if (tokens.length > 0) window.__previews.push({ percent: Number(bar.getAttribute("aria-valuenow")), tokens });
    }).observe(preview, { childList: true });
  });
}

export async function explain(page, text, steps) {
  await page.fill("#text", text);
  await page.fill("#steps", String(steps));
  await page.click("#explain");
}

/** Waits for the first progress event of the run (the bar's text then reads "Step n / N"). */
export async function waitFirstProgress(page) {
  await page.waitForFunction(() => document.getElementById("progress-text").textContent.startsWith("Step "), null, { timeout: 120_000 });
}

export async function waitDone(page, timeout = 180_000) {
  await page.waitForSelector("body[data-run-state='done'], body[data-run-state='error']", { timeout });
  const state = await page.getAttribute("body", "data-run-state");
  assert.equal(state, "done", `run ended in state ${state}: ${await page.textContent("#status")}`);
}

/** Parses "rgb(r, g, b)" as computed by the browser. */
export function rgb(css) {
  const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  assert.ok(match, `not an rgb colour: ${css}`);
  return match.slice(1, 4).map(Number);
}

export async function tokenInfo(page, token) {
  const locator = page.locator(`#word-importance [data-token="${token}"]`).first();
  await locator.waitFor();
  return {
    sign: await locator.getAttribute("data-sign"),
    color: rgb(await locator.evaluate((node) => getComputedStyle(node).backgroundColor)),
  };
}

/** Explain calls the server ended with `code` (a pattern: other tests' calls may still be ending), from /metrics. */
export async function explainCalls(code) {
  const samples = await readMetrics(session.server.baseUrl);
  return metricSum(samples, "bertig_grpc_requests_total", (l) => /Explain$/.test(l.method ?? "") && code.test(l.code ?? ""));
}
export const INVALID = /^invalid_?argument$/i;
export const OK = /^ok$/i;

/** A review of 600 words (about 700 WordPiece tokens): over the default model's limit of 512 tokens. */
export function review600Words() {
  const sentences = [
    "The film opens with a superb long shot of the harbour at dawn.",
    "Its pacing is slow, but the acting is wonderful throughout.",
    "Some scenes drag and the dialogue is clumsy in places.",
    "The music is lovely and the ending is genuinely moving.",
  ];
  const words = [];
  for (let i = 0; words.length < 600; i++) words.push(...sentences[i % sentences.length].split(" "));
  return words.slice(0, 600).join(" ");
}

/** Explain calls the server ended with CANCELLED, from /metrics. */
export async function cancelledExplainCalls() {
  const samples = await readMetrics(session.server.baseUrl);
  return metricSum(samples, "bertig_grpc_requests_total", (l) => /Explain$/.test(l.method ?? "") && /^cancel+ed$/i.test(l.code ?? ""));
}

export async function waitInFlightZero(timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let inFlight = NaN;
  while (Date.now() < deadline) {
    inFlight = metricSum(await readMetrics(session.server.baseUrl), "bertig_explain_in_flight");
    if (inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the server still runs ${inFlight} explanation(s) ${timeoutMs} ms after the page went away`);
}
