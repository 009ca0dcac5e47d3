import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "./gen/google/rpc/error_details_pb.js";

/** One rejected request field, as the server reports it in `google.rpc.BadRequest`. */
export interface FieldViolation {
  /** Path of the field in the request, e.g. `text` or `texts[2]`. */
  readonly field: string;
  /** Why the value was rejected. */
  readonly description: string;
}

/**
 * The request was rejected (`INVALID_ARGUMENT`): by the server, or before sending by the client's own check of the
 * contract's buf.validate rules (`local` true; no RPC was made). It is still a `ConnectError`, so code that handles
 * connect errors generically keeps working; `violations` adds the field violations, decoded from the server's
 * `google.rpc.BadRequest` (in the `grpc-status-details-bin` trailer) or found locally (and carried the same way).
 */
export class ValidationError extends ConnectError {
  /** The fields the server rejected; empty when the server sent no `BadRequest` detail. */
  readonly violations: readonly FieldViolation[];
  /** True when the client refused the request before sending it (see `validate` in the client's options). */
  readonly local: boolean;

  constructor(source: ConnectError, violations: readonly FieldViolation[], local = false) {
    super(source.rawMessage, source.code, source.metadata, undefined, source);
    // Keep the raw details so findDetails() works on the wrapper as on the original error.
    this.details = source.details;
    this.violations = violations;
    this.local = local;
    // name stays "ConnectError": ConnectError's instanceof check accepts subclasses by that name.
  }

  /** A refusal before sending, shaped like the server's answer: the message names every field, plus a BadRequest detail. */
  static local(violations: readonly FieldViolation[]): ValidationError {
    const message =
      violations.length === 1
        ? `Invalid ${violations[0]!.field}: ${violations[0]!.description}`
        : "Invalid request: " + violations.map((v) => `${v.field}: ${v.description}`).join("; ");
    const badRequest = create(BadRequestSchema, { fieldViolations: violations.map((v) => ({ ...v })) });
    const source = new ConnectError(message, Code.InvalidArgument, undefined, [{ desc: BadRequestSchema, value: badRequest }]);
    return new ValidationError(source, violations, true);
  }

  /**
   * Plain prototype-chain check. ConnectError's own check is duck-typed and would report every
   * ConnectError as a ValidationError, since static methods are inherited.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(ValidationError, value);
  }

  /** The violation for a field path, if the server reported one. */
  violation(field: string): FieldViolation | undefined {
    return this.violations.find((v) => v.field === field);
  }
}

/**
 * Turns a failed call's error into the most specific error we know: `INVALID_ARGUMENT` becomes a
 * {@link ValidationError}; everything else is returned as a `ConnectError` unchanged.
 */
export function toClientError(reason: unknown): ConnectError {
  const error = ConnectError.from(reason);
  if (error.code !== Code.InvalidArgument || error instanceof ValidationError) {
    return error;
  }
  const violations = error
    .findDetails(BadRequestSchema)
    .flatMap((badRequest) => badRequest.fieldViolations)
    .map((v) => ({ field: v.field, description: v.description }));
  return new ValidationError(error, violations);
}
