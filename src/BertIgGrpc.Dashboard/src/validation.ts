// Checks the form's request against the contract's buf.validate rules before it is sent (@bufbuild/protovalidate on
// the descriptors generated into src/gen): a request the server would refuse is refused here, with the same
// INVALID_ARGUMENT shape, and the offending form controls are marked; no call is made.
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExplainRequestSchema, type ExplainRequest } from "./gen/bertig/v1/explainer_pb.js";

/** One broken rule: the request field's proto path (e.g. `n_steps`) and the rule's message and id. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

const validator = createValidator();

/** The form control (by id) that sets each request field. */
const controls: Readonly<Record<string, string>> = {
  model: "model",
  text: "text",
  text_pair: "text-pair",
  target_label: "target",
  n_steps: "steps",
  method: "method",
  baseline: "baseline",
};

/** The rules `request` breaks; empty when it may be sent. */
export function violationsOf(request: ExplainRequest): FieldViolation[] {
  const result = validator.validate(ExplainRequestSchema, request);
  if (result.kind === "error") throw result.error;
  if (result.kind === "valid") return [];
  return result.violations.map((v) => ({ field: pathToString(v.field), description: `${v.message} [${v.ruleId}]` }));
}

/** Clears the marks a previous refusal left on the form. */
export function clearViolations(doc: Document): void {
  for (const note of doc.querySelectorAll(".field-violation")) note.remove();
  for (const node of doc.querySelectorAll("[data-violation]")) {
    node.removeAttribute("data-violation");
    node.removeAttribute("aria-invalid");
    node.removeAttribute("title");
  }
}

/**
 * Marks each offending control (`aria-invalid`, `data-violation`, a tooltip, and the rule in a
 * `span.field-violation[data-field]` right after it) and returns the
 * error the run fails with: INVALID_ARGUMENT whose message names every field, worded as the server words it.
 */
export function refuse(doc: Document, violations: readonly FieldViolation[]): ConnectError {
  for (const violation of violations) {
    const control = doc.getElementById(controls[violation.field] ?? "");
    if (control === null) continue;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("data-violation", violation.description);
    control.setAttribute("title", violation.description);
    const note = doc.createElement("span");
    note.className = "field-violation";
    note.dataset.field = violation.field;
    note.textContent = `${violation.field}: ${violation.description}`;
    control.after(note);
  }
  const message =
    violations.length === 1
      ? `Invalid ${violations[0]!.field}: ${violations[0]!.description}`
      : "Invalid request: " + violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(`${message} (checked before sending)`, Code.InvalidArgument);
}
