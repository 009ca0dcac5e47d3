// Builds the Captum-style report (legend, summary table, coloured tokens) with DOM APIs only:
// every piece of text from the server or the user goes through textContent, never innerHTML.
// Functions take the target Document so the same code renders the page and the downloaded file.
import { colorFor, formatDelta, formatNumber, formatPercent, signOf, type TokenView } from "./attribution.js";
import { buildExtras, markWindows } from "./extras.js";
import type { ExplainResult, TokenAttribution } from "./gen/bertig/v1/explainer_pb.js";

/** Which list of the result the report shows. */
export type Granularity = "tokens" | "words";

/** Names of enum values, passed in so this module needs no generated enum objects. */
export interface ReportLabels {
  readonly method: string;
  readonly baseline: string;
}

export function toViews(items: readonly TokenAttribution[]): TokenView[] {
  return items.map((t) => ({
    token: t.token,
    attribution: t.attribution,
    normalized: t.attributionNormalized,
    special: t.special,
    segment: t.segment,
  }));
}

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** Replaces the children of container with one coloured span per token. */
export function renderTokens(doc: Document, container: HTMLElement, views: readonly TokenView[]): void {
  const fragment = doc.createDocumentFragment();
  views.forEach((view, index) => {
    const span = el(doc, "span", view.token, "bertig-token");
    span.dataset.token = view.token;
    span.dataset.sign = signOf(view.normalized);
    span.dataset.index = String(index);
    span.dataset.normalized = String(view.normalized);
    span.dataset.special = String(view.special);
    span.style.backgroundColor = colorFor(view.normalized);
    span.title = `attribution ${formatNumber(view.attribution)} (normalised ${formatNumber(view.normalized, 3)})`;
    fragment.append(span);
    // Whitespace between spans lets long texts wrap.
    fragment.append(doc.createTextNode(" "));
  });
  container.replaceChildren(fragment);
}

export function buildLegend(doc: Document): HTMLElement {
  const legend = el(doc, "p", undefined, "bertig-legend");
  legend.id = "legend";
  legend.dataset.testid = "legend";
  legend.append(el(doc, "strong", "Legend:"));
  const entries: Array<[string, number[]]> = [
    ["Negative (against the target)", [-1, -0.3, -0.05]],
    ["Neutral", [0]],
    ["Positive (towards the target)", [0.05, 0.3, 1]],
  ];
  for (const [label, values] of entries) {
    const group = el(doc, "span", undefined, "swatches");
    for (const value of values) {
      const swatch = el(doc, "span", undefined, "swatch");
      swatch.style.backgroundColor = colorFor(value);
      swatch.title = `normalised attribution ${value}`;
      group.append(swatch);
    }
    legend.append(group, doc.createTextNode(label));
  }
  legend.append(el(doc, "span", "Square-root colour scale, so small shares stay visible; hover a token for its exact value.", "hint"));
  return legend;
}

function cell(doc: Document, id: string, text: string, numeric = false): HTMLTableCellElement {
  const td = el(doc, "td", text, numeric ? "num" : undefined);
  td.id = id;
  td.dataset.testid = id;
  return td;
}

/**
 * What the attribution score means, with this result's numbers: the sum of the attributions, which Integrated
 * Gradients makes equal (up to the convergence delta) to the target logit on the text minus on the baseline.
 * Said next to the score because a negative score for the predicted class otherwise looks like a contradiction.
 */
function scoreHelp(doc: Document, result: ExplainResult, labels: ReportLabels): HTMLElement {
  const help = el(doc, "p", undefined, "bertig-note");
  help.id = "attribution-score-help";
  help.dataset.testid = "attribution-score-help";
  help.append(
    el(doc, "strong", "Attribution score"),
    doc.createTextNode(
      ` = sum of the token attributions \u2248 F(x) \u2212 F(baseline) = ${formatNumber(result.scoreInput)} \u2212 ${formatNumber(result.scoreBaseline)}: ` +
        `the "${result.targetLabel}" logit on this text minus on the ${labels.baseline} baseline. ` +
        "It is negative when the baseline already scores higher for this class, even if the class is predicted; " +
        "the prediction itself is the probability on the left.",
    ),
  );
  return help;
}

/** Builds the whole report for one result. */
export function buildReport(
  doc: Document,
  result: ExplainResult,
  granularity: Granularity,
  labels: ReportLabels,
): HTMLElement {
  const root = el(doc, "div", undefined, "bertig-report");
  root.dataset.granularity = granularity;
  root.append(buildLegend(doc));

  const table = el(doc, "table", undefined, "bertig-table");
  const headRow = el(doc, "tr");
  for (const title of ["Predicted Label", "Target Label", "Attribution Score", "Convergence Delta", "Steps"]) {
    const th = el(doc, "th", title);
    if (title === "Attribution Score") th.append(el(doc, "span", " = F(x) \u2212 F(baseline)", "bertig-formula"));
    headRow.append(th);
  }
  table.append(el(doc, "thead"));
  table.tHead!.append(headRow);

  const prediction = result.prediction;
  const predicted = prediction ? `${prediction.label} (${formatPercent(prediction.probability)})` : "-";
  const row = el(doc, "tr");
  row.append(
    cell(doc, "predicted-label", predicted),
    cell(doc, "target-label", `${result.targetLabel} (index ${result.targetIndex})`),
    cell(doc, "attribution-score", formatNumber(result.attributionSum), true),
    cell(doc, "convergence-delta", formatDelta(result.convergenceDelta), true),
    cell(doc, "steps-used", String(result.nSteps), true),
  );
  const body = el(doc, "tbody");
  body.append(row);
  table.append(body);
  root.append(table);
  root.append(scoreHelp(doc, result, labels));

  // The tokens get a block of their own, as wide as the report, so long texts are not squeezed into a table column.
  root.append(el(doc, "h3", granularity === "words" ? "Word Importance (whole words)" : "Word Importance (WordPiece tokens)", "bertig-importance-title"));
  const importance = el(doc, "div", undefined, "bertig-tokens bertig-importance");
  importance.id = "word-importance";
  importance.dataset.testid = "word-importance";
  const items = granularity === "words" ? result.words : result.tokens;
  renderTokens(doc, importance, toViews(items));
  markWindows(doc, importance, items, result.windows);
  if (items.length === 0) importance.textContent = `(the server sent no ${granularity === "words" ? "word" : "token"} attributions)`;
  root.append(importance);

  const meta = el(doc, "dl", undefined, "bertig-meta");
  const facts: Array<[string, string]> = [
    ["Model", result.model],
    ["Method", labels.method],
    ["Baseline", labels.baseline],
    ["Score on input", formatNumber(result.scoreInput)],
    ["Score on baseline", formatNumber(result.scoreBaseline)],
    ["Execution provider", result.executionProvider || "-"],
    ["Elapsed", `${result.elapsedMs.toFixed(0)} ms`],
  ];
  if (result.truncated) facts.push(["Note", "the text was cut to the model's token limit"]);
  if (result.windows.length > 0) facts.push(["Long text", `${result.windows.length} overlapping windows`]);
  for (const [term, value] of facts) {
    meta.append(el(doc, "dt", term), el(doc, "dd", value));
  }
  root.append(meta);
  root.append(...buildExtras(doc, result, granularity));
  return root;
}
