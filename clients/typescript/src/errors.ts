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
 * The server rejected the request (`INVALID_ARGUMENT`). It is still a `ConnectError`, so code
 * that handles connect errors generically keeps working; `violations` adds the decoded
 * `google.rpc.BadRequest` field violations from the `grpc-status-details-bin` trailer.
 */
export class ValidationError extends ConnectError {
  /** The fields the server rejected; empty when the server sent no `BadRequest` detail. */
  readonly violations: readonly FieldViolation[];

  constructor(source: ConnectError, violations: readonly FieldViolation[]) {
    super(source.rawMessage, source.code, source.metadata, undefined, source);
    // Keep the raw details so findDetails() works on the wrapper as on the original error.
    this.details = source.details;
    this.violations = violations;
    // name stays "ConnectError": ConnectError's instanceof check accepts subclasses by that name.
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
