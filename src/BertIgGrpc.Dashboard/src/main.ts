// Wires the page: lists models, streams Explain over gRPC-Web, shows progress, a live preview
// and the final report. One call runs per page; a new Explain or leaving the page aborts it.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { normalizeL2, type TokenView } from "./attribution.js";
import { createExplainerClient } from "./client.js";
import { buildReportHtml, downloadHtml } from "./download.js";
import {
  Baseline,
  ExplainRequestSchema,
  IntegrationMethod,
  LongText,
  type ExplainProgress,
  type ExplainRequest,
  type ExplainResult,
  type ModelInfo,
} from "./gen/bertig/v1/explainer_pb.js";
import { buildReport, renderTokens, type Granularity, type ReportLabels } from "./report.js";
import { clearViolations, refuse, violationsOf } from "./validation.js";

type RunState = "idle" | "running" | "done" | "error" | "cancelled";

interface Finished {
  readonly result: ExplainResult;
  readonly text: string;
  readonly textPair: string;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`The page is missing #${id}.`);
  return node as T;
}

const ui = {
  form: byId<HTMLFormElement>("explain-form"),
  text: byId<HTMLTextAreaElement>("text"),
  textPair: byId<HTMLTextAreaElement>("text-pair"),
  model: byId<HTMLSelectElement>("model"),
  target: byId<HTMLSelectElement>("target"),
  method: byId<HTMLSelectElement>("method"),
  baseline: byId<HTMLSelectElement>("baseline"),
  steps: byId<HTMLInputElement>("steps"),
  longText: byId<HTMLSelectElement>("long-text"),
  windowStride: byId<HTMLInputElement>("window-stride"),
  allTargets: byId<HTMLInputElement>("all-targets"),
  faithfulness: byId<HTMLInputElement>("faithfulness"),
  explain: byId<HTMLButtonElement>("explain"),
  cancel: byId<HTMLButtonElement>("cancel"),
  progress: byId<HTMLDivElement>("progress"),
  progressFill: byId<HTMLDivElement>("progress-fill"),
  progressText: byId<HTMLParagraphElement>("progress-text"),
  status: byId<HTMLParagraphElement>("status"),
  preview: byId<HTMLDivElement>("preview"),
  previewTokens: byId<HTMLDivElement>("preview-tokens"),
  result: byId<HTMLElement>("result"),
  report: byId<HTMLDivElement>("report"),
  viewTokens: byId<HTMLInputElement>("view-tokens"),
  viewWords: byId<HTMLInputElement>("view-words"),
  download: byId<HTMLButtonElement>("download"),
  apiKey: byId<HTMLInputElement>("api-key"),
};

// The API key lives in this tab's session storage only: never in local storage, cookies or the URL.
const API_KEY_STORAGE = "bertig.apiKey";
const client = createExplainerClient(window.location.origin, () => ui.apiKey.value.trim());
let models: ModelInfo[] = [];
let current: AbortController | undefined;
let finished: Finished | undefined;

function setRunState(state: RunState): void {
  document.body.dataset.runState = state;
  ui.progress.dataset.state = state;
  ui.cancel.disabled = state !== "running";
}

function setStatus(message: string, kind: "info" | "error" = "info"): void {
  ui.status.textContent = message;
  ui.status.dataset.kind = kind;
}

function setProgress(percent: number, text: string, kind: "info" | "error" = "info"): void {
  const clamped = Math.max(0, Math.min(100, Math.round(percent)));
  ui.progress.setAttribute("aria-valuenow", String(clamped));
  ui.progress.setAttribute("aria-valuetext", text);
  ui.progressFill.style.width = `${clamped}%`;
  ui.progressText.textContent = text;
  ui.progressText.dataset.kind = kind;
}

/** Ends a run that failed: the error replaces "Starting..." / "Step n / N", and the status line says what to do. */
function failRun(error: unknown): void {
  const err = ConnectError.from(error);
  const limit = /limit of (\d+)/.exec(err.rawMessage);
  let message = describeError(error);
  if (err.code === Code.InvalidArgument && limit !== null && ui.longText.value === "") {
    // The one error a user can fix from this page without editing the text.
    message += ` Choose "Long texts": truncate to explain the first ${limit[1]} tokens, or overlapping windows to explain all of it.`;
    ui.longText.closest("label")?.setAttribute("data-attention", "true");
  }
  setProgress(Number(ui.progress.getAttribute("aria-valuenow") ?? 0), `Failed: ${Code[err.code] ?? "Error"}`, "error");
  setStatus(message, "error");
  setRunState("error");
}

function describeError(error: unknown): string {
  const err = ConnectError.from(error);
  return `${Code[err.code] ?? "Error"}: ${err.rawMessage}`;
}

function selectedModel(): ModelInfo | undefined {
  const name = ui.model.value;
  return name === "" ? models.find((m) => m.isDefault) : models.find((m) => m.name === name);
}

function updateTargets(): void {
  const labels = selectedModel()?.labels ?? [];
  const options = [new Option("(predicted)", "")];
  for (const label of labels) options.push(new Option(label, label));
  ui.target.replaceChildren(...options);
}

async function loadModels(): Promise<void> {
  try {
    const response = await client.listModels({});
    models = response.models;
    const options = [new Option("(server default)", "")];
    for (const model of models) {
      const option = new Option(`${model.name} (${model.labels.join(" / ")})`, model.name);
      option.selected = model.isDefault;
      options.push(option);
    }
    ui.model.replaceChildren(...options);
  } catch (error) {
    // The page still works with the server's default model; say why the list is empty.
    setStatus(`Could not list models - ${describeError(error)}`, "error");
  }
  updateTargets();
}

function buildRequest(): ExplainRequest {
  const method = IntegrationMethod[ui.method.value as keyof typeof IntegrationMethod];
  const baseline = Baseline[ui.baseline.value as keyof typeof Baseline];
  return create(ExplainRequestSchema, {
    model: ui.model.value,
    text: ui.text.value,
    textPair: ui.textPair.value,
    target: ui.target.value === "" ? { case: undefined } : { case: "targetLabel", value: ui.target.value },
    nSteps: ui.steps.valueAsNumber,
    method,
    baseline,
    longText: ui.longText.value === "" ? LongText.UNSPECIFIED : LongText[ui.longText.value as keyof typeof LongText],
    windowStride: ui.longText.value === "WINDOWS" && Number.isFinite(ui.windowStride.valueAsNumber) ? ui.windowStride.valueAsNumber : 0,
    allTargets: ui.allTargets.checked,
    faithfulness: ui.faithfulness.checked,
  });
}

function showProgress(progress: ExplainProgress): void {
  const total = progress.stepsTotal;
  const percent = total > 0 ? (100 * progress.stepsDone) / total : 0;
  setProgress(percent, `Step ${progress.stepsDone} / ${total} - ${progress.elapsedMs.toFixed(0)} ms`);
  if (progress.tokens.length === 0) return;
  const normalized = normalizeL2(progress.tokens.map((t) => t.attribution));
  const views: TokenView[] = progress.tokens.map((t, i) => ({
    token: t.token,
    attribution: t.attribution,
    normalized: normalized[i] ?? 0,
    special: t.special,
    segment: t.segment,
  }));
  renderTokens(document, ui.previewTokens, views);
  ui.preview.hidden = false;
}

function granularity(): Granularity {
  return ui.viewWords.checked ? "words" : "tokens";
}

function labelsOf(result: ExplainResult): ReportLabels {
  return { method: IntegrationMethod[result.method] ?? String(result.method), baseline: Baseline[result.baseline] ?? String(result.baseline) };
}

function renderResult(): void {
  if (finished === undefined) return;
  ui.report.replaceChildren(buildReport(document, finished.result, granularity(), labelsOf(finished.result)));
  ui.result.hidden = false;
}

function showResult(result: ExplainResult, text: string, textPair: string): void {
  finished = { result, text, textPair };
  setProgress(100, `Done: ${result.nSteps} steps in ${result.elapsedMs.toFixed(0)} ms`);
  ui.preview.hidden = true;
  renderResult();
}

async function explain(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  current?.abort();
  const controller = new AbortController();
  current = controller;

  finished = undefined;
  ui.result.hidden = true;
  ui.preview.hidden = true;
  ui.previewTokens.replaceChildren();
  ui.longText.closest("label")?.removeAttribute("data-attention");
  clearViolations(document);
  setProgress(0, "Starting...");
  setStatus("");
  setRunState("running");

  let gotResult = false;
  try {
    const request = buildRequest();
    // A request that breaks a contract rule is refused here, next to its field, without calling the server.
    const violations = violationsOf(request);
    if (violations.length > 0) throw refuse(document, violations);
    for await (const message of client.explain(request, { signal: controller.signal })) {
      if (message.event.case === "progress") {
        showProgress(message.event.value);
      } else if (message.event.case === "result") {
        gotResult = true;
        showResult(message.event.value, request.text, request.textPair);
        if (message.event.value.truncated) {
          const limit = selectedModel()?.maxTokens;
          setStatus(`The text was cut to the model's limit${limit ? ` of ${limit} tokens` : ""}: the explanation covers its first part only.`);
        }
      }
    }
    if (!gotResult) throw new ConnectError("the stream ended without a result", Code.DataLoss);
    setRunState("done");
  } catch (error) {
    if (controller !== current) return; // A newer run owns the UI now.
    if (controller.signal.aborted) {
      setProgress(Number(ui.progress.getAttribute("aria-valuenow") ?? 0), "Cancelled.");
      setStatus("Cancelled.");
      setRunState("cancelled");
    } else {
      failRun(error);
    }
  } finally {
    if (controller === current) current = undefined;
  }
}

function cancelRun(): void {
  current?.abort();
}

function init(): void {
  // The page gets report.css through styles.css (see build.mjs): the CSP allows no inline <style>.
  ui.apiKey.value = sessionStorage.getItem(API_KEY_STORAGE) ?? "";
  ui.apiKey.addEventListener("change", () => {
    const key = ui.apiKey.value.trim();
    if (key === "") sessionStorage.removeItem(API_KEY_STORAGE);
    else sessionStorage.setItem(API_KEY_STORAGE, key);
    setStatus("");
    void loadModels();
  });

  setRunState("idle");
  ui.form.addEventListener("submit", (e) => void explain(e));
  ui.cancel.addEventListener("click", cancelRun);
  ui.model.addEventListener("change", updateTargets);
  ui.viewTokens.addEventListener("change", renderResult);
  ui.viewWords.addEventListener("change", renderResult);
  ui.download.addEventListener("click", () => {
    if (finished === undefined) return;
    const html = buildReportHtml(finished.result, granularity(), labelsOf(finished.result), finished.text, finished.textPair);
    downloadHtml(`explanation-${finished.result.model || "model"}.html`, html);
  });
  // Closing or leaving the tab cancels the server-side computation instead of letting it run on.
  window.addEventListener("pagehide", cancelRun);
  window.addEventListener("beforeunload", cancelRun);

  void loadModels().finally(() => {
    document.body.dataset.ready = "true";
  });
}

init();
