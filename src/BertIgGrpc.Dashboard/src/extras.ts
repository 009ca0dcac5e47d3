// The parts of a report that a request asks for on top of the explanation: one attribution row per class
// (all_targets), the windows of a long text (long_text = WINDOWS) and the faithfulness scores (faithfulness).
// DOM APIs only, like report.ts: server and user text goes through textContent.
import { formatDelta, formatNumber, formatPercent } from "./attribution.js";
import type { ExplainResult, ExplainWindow, Faithfulness, TokenAttribution } from "./gen/bertig/v1/explainer_pb.js";
import { el, renderTokens, toViews, type Granularity } from "./report.js";

/** The sections the result carries, in order: per class, windows, faithfulness (none for a plain explanation). */
export function buildExtras(doc: Document, result: ExplainResult, granularity: Granularity): HTMLElement[] {
  const sections: HTMLElement[] = [];
  if (result.perTarget.length > 0) sections.push(buildPerTarget(doc, result, granularity));
  if (result.windows.length > 0) sections.push(buildWindows(doc, result));
  if (result.faithfulness !== undefined) sections.push(buildFaithfulness(doc, result, result.faithfulness));
  return sections;
}

function section(doc: Document, testid: string, title: string, note: string): HTMLElement {
  const root = el(doc, "section", undefined, "bertig-extra");
  root.id = testid;
  root.dataset.testid = testid;
  root.append(el(doc, "h3", title, "bertig-importance-title"), el(doc, "p", note, "bertig-note"));
  return root;
}

function table(doc: Document, headers: readonly string[], rows: ReadonlyArray<readonly string[]>, rowTestid: string): HTMLTableElement {
  const t = el(doc, "table", undefined, "bertig-table");
  const head = el(doc, "tr");
  for (const h of headers) head.append(el(doc, "th", h));
  t.append(el(doc, "thead"));
  t.tHead!.append(head);
  const body = el(doc, "tbody");
  for (const cells of rows) {
    const tr = el(doc, "tr");
    tr.dataset.testid = rowTestid;
    cells.forEach((text, i) => tr.append(el(doc, "td", text, i === 0 ? undefined : "num")));
    body.append(tr);
  }
  t.append(body);
  return t;
}

/** One highlighted text row per class: what pushes towards that class, in its own colours. */
function buildPerTarget(doc: Document, result: ExplainResult, granularity: Granularity): HTMLElement {
  const root = section(
    doc,
    "per-target",
    "Every class",
    "Each class explained on its own: green pushes towards that class, red against it. " +
      "The score is that class's logit on the text minus on the baseline; the attributions add up to it.",
  );
  for (const target of result.perTarget) {
    const row = el(doc, "div", undefined, "bertig-class-row");
    row.dataset.testid = "per-target-row";
    row.dataset.label = target.label;
    row.dataset.attributionSum = String(target.attributionSum);
    const main = target.index === result.targetIndex ? " (the explained class)" : "";
    const caption = el(doc, "p", undefined, "bertig-class-caption");
    caption.append(
      el(doc, "strong", `${target.label}${main}`),
      doc.createTextNode(
        ` \u2014 score ${formatNumber(target.scoreInput - target.scoreBaseline)}, attribution sum ${formatNumber(target.attributionSum)}, ` +
          `delta ${formatDelta(target.convergenceDelta)}`,
      ),
    );
    const tokens = el(doc, "div", undefined, "bertig-tokens bertig-importance");
    const items = granularity === "words" && target.words.length > 0 ? target.words : target.tokens;
    renderTokens(doc, tokens, toViews(items));
    row.append(caption, tokens);
    root.append(row);
  }
  return root;
}

/** The window table; the window boundaries themselves are marked in the text by markWindows. */
function buildWindows(doc: Document, result: ExplainResult): HTMLElement {
  const p = result.prediction;
  const root = section(
    doc,
    "windows",
    `Long text: ${result.windows.length} overlapping windows`,
    `The text is longer than the model's limit, so it was explained window by window (\u27e8w1 \u2026 w1\u27e9 marks a window in the text above). ` +
      `The prediction${p ? ` ${p.label} (${formatPercent(p.probability)})` : ""} is the mean of the windows' logits; ` +
      "each token's attribution comes from the window where it is farthest from an edge.",
  );
  const rows = result.windows.map((w) => [
    `w${w.index + 1}`,
    `${w.tokenStart}\u2013${w.tokenEnd}`,
    `${w.start}\u2013${w.end}`,
    w.prediction ? `${w.prediction.label} (${formatPercent(w.prediction.probability)})` : "-",
    formatNumber(w.scoreInput - w.scoreBaseline),
    formatDelta(w.convergenceDelta),
  ]);
  root.append(table(doc, ["Window", "Tokens", "Characters", "Window prediction", "Score F(x) \u2212 F(baseline)", "Convergence delta"], rows, "window-row"));
  return root;
}

function windowTitle(w: ExplainWindow): string {
  const p = w.prediction;
  return `window ${w.index + 1}: tokens ${w.tokenStart}\u2013${w.tokenEnd}${p ? `, predicts ${p.label} (${formatPercent(p.probability)})` : ""}`;
}

/**
 * Marks where each window starts and ends in a rendered token row (from renderTokens; items are the tokens or
 * words it shows), by character offsets so that tokens and whole words get the same marks.
 */
export function markWindows(doc: Document, container: HTMLElement, items: readonly TokenAttribution[], windows: readonly ExplainWindow[]): void {
  const spans = [...container.querySelectorAll<HTMLElement>(".bertig-token")];
  const inText = (t: TokenAttribution) => !t.special && t.segment === 0 && t.end > t.start;
  for (const w of windows) {
    const first = items.findIndex((t) => inText(t) && t.start >= w.start && t.start < w.end);
    let last = -1;
    items.forEach((t, i) => {
      if (inText(t) && t.end <= w.end && t.end > w.start) last = i;
    });
    if (first < 0 || last < 0) continue;
    for (const [index, edge, text] of [[first, "start", `\u27e8w${w.index + 1}`], [last, "end", `w${w.index + 1}\u27e9`]] as const) {
      const mark = el(doc, "span", text, `bertig-window-mark bertig-window-${edge}`);
      mark.dataset.window = String(w.index);
      mark.dataset.edge = edge;
      mark.title = windowTitle(w);
      if (edge === "start") spans[index]?.before(mark);
      else spans[index]?.after(mark);
    }
  }
}

/** The ERASER scores at each fraction, their AOPC against random rankings, and what they mean. */
function buildFaithfulness(doc: Document, result: ExplainResult, f: Faithfulness): HTMLElement {
  const root = section(
    doc,
    "faithfulness-scores",
    "Faithfulness (ERASER)",
    `Do the attributions point at the tokens the model relies on? Comprehensiveness: how much p("${result.targetLabel}") drops ` +
      `when the top-ranked tokens are replaced by ${f.replacementToken} (higher is better). Sufficiency: how much it drops when only ` +
      `they are kept (lower is better). "Random" is the mean of ${f.randomRankings} random rankings, the reference to beat.`,
  );
  const rows = f.points.map((pt) => [
    `top ${Math.round(pt.fraction * 100)}% (${pt.tokens} token${pt.tokens === 1 ? "" : "s"})`,
    formatNumber(pt.comprehensiveness),
    formatNumber(pt.randomComprehensiveness),
    formatNumber(pt.sufficiency),
    formatNumber(pt.randomSufficiency),
  ]);
  rows.push(["AOPC (mean)", formatNumber(f.comprehensivenessAopc), formatNumber(f.randomComprehensivenessAopc), formatNumber(f.sufficiencyAopc), formatNumber(f.randomSufficiencyAopc)]);
  root.append(table(doc, ["Removed / kept", "Comprehensiveness", "Random", "Sufficiency", "Random"], rows, "faithfulness-row"));
  const better = f.comprehensivenessAopc > f.randomComprehensivenessAopc;
  const sufficient = f.sufficiencyAopc < f.randomSufficiencyAopc;
  const verdict = el(
    doc,
    "p",
    better && sufficient
      ? "Verdict: the ranking beats random rankings on both measures."
      : better || sufficient
        ? `Verdict: the ranking beats random on ${better ? "comprehensiveness" : "sufficiency"} only.`
        : "Verdict: the ranking does not beat random rankings; read these attributions with care.",
    "bertig-note bertig-verdict",
  );
  verdict.dataset.testid = "faithfulness-verdict";
  root.append(verdict);
  return root;
}
