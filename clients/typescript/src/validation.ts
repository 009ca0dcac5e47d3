// Checks requests against the contract's buf.validate rules before they leave the process, with the same
// protovalidate rules the server enforces (the server runs code generated from them; this runs
// @bufbuild/protovalidate on the descriptors embedded in src/gen). A request that breaks a rule is refused with
// the ValidationError the server would answer with, and no RPC is made.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import { ValidationError, type FieldViolation } from "./errors.js";

// One validator per process: it compiles each message's rules once and caches them.
const validator = createValidator();

/** The rule a violation broke, as `field` (the proto path, e.g. `n_steps` or `texts[1]`) and `description`. */
function toFieldViolation(violation: Violation): FieldViolation {
  return { field: pathToString(violation.field), description: `${violation.message} [${violation.ruleId}]` };
}

/**
 * The request's rule violations (empty when it is valid). A rule that cannot be evaluated throws: that is a bug
 * in the contract or the library, not in the request.
 */
export function violationsOf<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): FieldViolation[] {
  const result = validator.validate(schema, message);
  switch (result.kind) {
    case "valid":
      return [];
    case "invalid":
      return result.violations.map(toFieldViolation);
    default:
      throw result.error;
  }
}

/** Throws a local {@link ValidationError} (`INVALID_ARGUMENT`, `local` true) when the request breaks a rule. */
export function checkRequest<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): void {
  const violations = violationsOf(schema, message);
  if (violations.length > 0) {
    throw ValidationError.local(violations);
  }
}
