// Offline checks of the error mapping (no server): a ConnectError carrying google.rpc.BadRequest
// in its details, as connect decodes it from grpc-status-details-bin.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ValidationError, toClientError } from "../src/index.js";
import { BadRequestSchema, BadRequest_FieldViolationSchema } from "../src/gen/google/rpc/error_details_pb.js";

function invalidArgument(fields: string[]): ConnectError {
  const badRequest = create(BadRequestSchema, {
    fieldViolations: fields.map((field) => create(BadRequest_FieldViolationSchema, { field, description: `bad ${field}` })),
  });
  // Incoming details are raw {type, value} pairs, exactly what the gRPC transport produces.
  const error = new ConnectError("invalid request", Code.InvalidArgument);
  error.details.push({ type: BadRequestSchema.typeName, value: toBinary(BadRequestSchema, badRequest) });
  return error;
}

test("INVALID_ARGUMENT with BadRequest becomes a ValidationError listing the fields", () => {
  const error = toClientError(invalidArgument(["text", "n_steps"]));
  assert.ok(error instanceof ValidationError);
  assert.ok(error instanceof ConnectError, "must stay a ConnectError");
  assert.equal(error.code, Code.InvalidArgument);
  assert.deepEqual(error.violations, [
    { field: "text", description: "bad text" },
    { field: "n_steps", description: "bad n_steps" },
  ]);
  assert.equal(error.findDetails(BadRequestSchema).length, 1, "details kept on the wrapper");
});

test("other status codes stay plain ConnectErrors", () => {
  const error = toClientError(new ConnectError("busy", Code.ResourceExhausted));
  assert.equal(error.code, Code.ResourceExhausted);
  assert.ok(!(error instanceof ValidationError));
});
