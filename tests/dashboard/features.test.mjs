// End-to-end tests of the dashboard's options on top of an explanation (long texts in windows, every class,
// faithfulness): Debian's Chromium drives the page served by the real server with the real default model.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { artifactsDir, launchBrowser, startServer } from "./harness.mjs";
import { explain, newContext, openDashboard, review600Words, session, waitDone } from "./page.mjs";

before(async () => {
  const server = await startServer();
  const browser = await launchBrowser();
  Object.assign(session, { server, browser });
  mkdirSync(artifactsDir, { recursive: true });
});

after(async () => {
  await session.browser?.close();
  await session.server?.stop();
});

test("Explain_600WordText_InWindows_BoundariesMarkedOnTheTextAndAPredictionPerWindow", async () => {
  const context = await newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const { page, errors } = await openDashboard(context);
    const text = review600Words();
    await page.selectOption("#long-text", "WINDOWS");
    await page.fill("#window-stride", "100");
    await explain(page, text, 4);
    await waitDone(page, 300_000);

    // The whole text is explained: its last word is among the coloured tokens, and nothing was cut.
    const tokens = await page.locator("#word-importance [data-token]").evaluateAll((nodes) => nodes.map((n) => n.dataset.token));
    assert.ok(tokens.length > 600, `${tokens.length} tokens`);
    assert.equal(tokens.filter((t) => !t.startsWith("[")).at(-1), text.split(" ").at(-1).toLowerCase());
    assert.doesNotMatch(await page.textContent("#report"), /cut to the model's token limit/);

    // One table row per window, each with its own prediction; consecutive windows start at most 100 tokens apart.
    const rows = await page.locator("[data-testid='window-row']").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.ok(rows.length >= 3, JSON.stringify(rows));
    rows.forEach((cells, i) => {
      assert.equal(cells[0], `w${i + 1}`);
      const start = (row) => Number(row[1].split("\u2013")[0]);
      if (i === 0) assert.equal(start(cells), 1); // after [CLS]
      else assert.ok(start(cells) > start(rows[i - 1]) && start(cells) - start(rows[i - 1]) <= 100, JSON.stringify(rows));
      assert.match(cells[3], /^(negative|positive) \(\d+\.\d%\)$/);
    });
    assert.match(await page.textContent("#windows"), new RegExp(`${rows.length} overlapping windows.*mean of the windows' logits`, "s"));

    // Each window's start and end are marked in the text, in order: ⟨w1 ... ⟨w2 ... w1⟩ ... (they overlap).
    const marks = await page.locator("#word-importance .bertig-window-mark").evaluateAll((nodes) => nodes.map((n) => n.textContent));
    assert.equal(marks.length, 2 * rows.length, JSON.stringify(marks));
    assert.equal(marks[0], "\u27e8w1");
    assert.equal(marks.at(-1), `w${rows.length}\u27e9`);
    assert.ok(marks.indexOf("\u27e8w2") < marks.indexOf("w1\u27e9"), `windows 1 and 2 do not overlap: ${marks}`);
    assert.match(await page.locator("#word-importance .bertig-window-mark").first().getAttribute("title"), /^window 1: tokens 1\u2013\d+, predicts (negative|positive)/);

    // Whole words get the same marks.
    await page.check("#view-words");
    assert.equal(await page.locator("#word-importance .bertig-window-mark").count(), 2 * rows.length);
    await page.screenshot({ path: path.join(artifactsDir, "dashboard-windows.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("Explain_EveryClassAndFaithfulness_OneHighlightedRowPerClassAndTheFiguresExplained", async () => {
  const context = await newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const { page, errors } = await openDashboard(context);
    await page.check("#all-targets");
    await page.check("#faithfulness");
    await explain(page, "This movie is superb", 20);
    await waitDone(page);

    // One highlighted row per class, in logit order; "superb" is green towards positive and red towards negative.
    const rows = page.locator("[data-testid='per-target-row']");
    assert.deepEqual(await rows.evaluateAll((nodes) => nodes.map((n) => n.dataset.label)), ["negative", "positive"]);
    const sign = (label) => page.locator(`[data-testid='per-target-row'][data-label='${label}'] [data-token='superb']`).getAttribute("data-sign");
    assert.deepEqual([await sign("negative"), await sign("positive")], ["neg", "pos"]);
    assert.match(await rows.nth(1).textContent(), /^positive \(the explained class\) \u2014 score -?\d+\.\d{4}, attribution sum/);
    assert.equal(Number(await rows.nth(1).getAttribute("data-attribution-sum")).toFixed(4), await page.textContent("#attribution-score"));

    // The faithfulness figures: five fractions and the AOPC against random rankings, what they mean, and a verdict.
    const figures = await page.locator("[data-testid='faithfulness-row']").evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.deepEqual(figures.map((r) => r[0]), ["top 10% (1 token)", "top 20% (1 token)", "top 30% (2 tokens)", "top 40% (2 tokens)", "top 50% (2 tokens)", "AOPC (mean)"]);
    const [comp, randomComp, suff, randomSuff] = figures.at(-1).slice(1).map(Number);
    assert.ok(comp > randomComp && suff < randomSuff, JSON.stringify(figures));
    const section = await page.textContent("#faithfulness-scores");
    assert.match(section, /Comprehensiveness: how much p\("positive"\) drops when the top-ranked tokens are replaced by \[PAD\] \(higher is better\)/);
    assert.match(section, /mean of 10 random rankings/);
    assert.equal(await page.textContent("[data-testid='faithfulness-verdict']"), "Verdict: the ranking beats random rankings on both measures.");
    await page.screenshot({ path: path.join(artifactsDir, "dashboard-classes-faithfulness.png"), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
