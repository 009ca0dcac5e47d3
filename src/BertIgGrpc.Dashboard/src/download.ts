// "Download as HTML": a self-contained file (inline CSS, no scripts, no external links)
// built in a separate Document and serialised by the browser, which escapes all text.
import reportCss from "./report.css";
import { buildReport, type Granularity, type ReportLabels } from "./report.js";
import type { ExplainResult } from "./gen/bertig/v1/explainer_pb.js";

export function buildReportHtml(
  result: ExplainResult,
  granularity: Granularity,
  labels: ReportLabels,
  text: string,
  textPair: string,
): string {
  const doc = document.implementation.createHTMLDocument(`Integrated Gradients - ${result.model}`);
  const charset = doc.createElement("meta");
  charset.setAttribute("charset", "utf-8");
  doc.head.prepend(charset);
  const style = doc.createElement("style");
  style.textContent = reportCss;
  doc.head.append(style);

  doc.body.className = "bertig-report";
  const heading = doc.createElement("h1");
  heading.textContent = "Integrated Gradients explanation";
  const input = doc.createElement("p");
  input.textContent = textPair ? `Text: ${text} | Pair: ${textPair}` : `Text: ${text}`;
  doc.body.append(heading, input, buildReport(doc, result, granularity, labels));
  return `<!doctype html>\n${doc.documentElement.outerHTML}\n`;
}

export function downloadHtml(fileName: string, html: string): void {
  const blob = new Blob([html], { type: "text/html;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Revoke later: some browsers read the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
