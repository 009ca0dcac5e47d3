// The client's own check of the contract's buf.validate rules, offline: a counting interceptor stands where the
// network would start and ends every call that reaches it, so these tests see exactly which requests were sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BertIgClient, IntegrationMethod, ValidationError } from "../src/index.js";
import { BadRequestSchema } from "../src/gen/google/rpc/error_details_pb.js";

/** A client whose transport records each call's method and ends it with UNAVAILABLE before any socket is opened. */
function recordingClient(options: { validate?: boolean } = {}): { client: BertIgClient; sent: string[] } {
  const sent: string[] = [];
  const recorder: Interceptor = () => async (request) => {
    sent.push(request.method.name);
    throw new ConnectError("recorded, not sent", Code.Unavailable);
  };
  const transport = createGrpcTransport({ baseUrl: "http://127.0.0.1:1", interceptors: [recorder] });
  return { client: new BertIgClient("http://127.0.0.1:1", { ...options, transport }), sent };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected the call to fail"),
    (e: unknown) => e,
  );
}

function assertLocalRefusal(error: unknown, fields: string[]): asserts error is ValidationError {
  assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
  assert.ok(error instanceof ConnectError, "must stay a ConnectError");
  assert.equal(error.local, true);
  assert.equal(error.code, Code.InvalidArgument);
  assert.deepEqual(error.violations.map((v) => v.field).sort(), [...fields].sort());
  for (const field of fields) assert.match(error.rawMessage, new RegExp(`\\b${field.replace(/[[\]]/g, "\\$&")}: `), error.rawMessage);
  assert.equal(error.findDetails(BadRequestSchema)[0]?.fieldViolations.length, fields.length, "BadRequest detail as from the server");
}

test("blank text is refused before sending, naming 'text' and the rule", async () => {
  const { client, sent } = recordingClient();
  const error = await failure(client.explainUnary("   "));
  assertLocalRefusal(error, ["text"]);
  assert.match(error.violation("text")!.description, /\[string\.pattern\]$/);
  assert.match(error.rawMessage, /^Invalid text: /);
  assert.deepEqual(sent, []);
});

test("n_steps 5000 and an undefined method are refused together before the stream opens", async () => {
  const { client, sent } = recordingClient();
  const error = await failure(
    (async () => {
      for await (const _ of client.explain("This movie is superb", { nSteps: 5000, method: 99 as IntegrationMethod })) {
        assert.fail("no event expected");
      }
    })(),
  );
  assertLocalRefusal(error, ["n_steps", "method"]);
  assert.match(error.violation("n_steps")!.description, /2048.*\[int32\.gte_lte\]$/);
  assert.match(error.violation("method")!.description, /\[enum\.defined_only\]$/);
  assert.match(error.rawMessage, /^Invalid request: /);
  assert.deepEqual(sent, []);
});

test("predict names the blank item texts[1] and an empty list 'texts'", async () => {
  const { client, sent } = recordingClient();
  assertLocalRefusal(await failure(client.predict(["fine", " "])), ["texts[1]"]);
  assertLocalRefusal(await failure(client.predict([])), ["texts"]);
  assert.deepEqual(sent, []);
});

test("valid requests pass the check and are sent", async () => {
  const { client, sent } = recordingClient();
  const errors = [
    await failure(client.explainUnary("This movie is superb", { nSteps: 2048, target: "positive" })),
    await failure(client.predict(["fine", "also fine"])),
  ];
  for (const error of errors) assert.equal((error as ConnectError).code, Code.Unavailable, String(error));
  assert.deepEqual(sent, ["ExplainUnary", "Predict"]);
});

test("validate: false, per call or per client, sends an invalid request as it is", async () => {
  const perCall = recordingClient();
  const error = await failure(perCall.client.explainUnary("", { nSteps: 5000, validate: false }));
  assert.equal((error as ConnectError).code, Code.Unavailable);
  assert.deepEqual(perCall.sent, ["ExplainUnary"]);

  const perClient = recordingClient({ validate: false });
  await failure(perClient.client.predict([]));
  assert.deepEqual(perClient.sent, ["Predict"]);
  // A call can turn the check back on for a client that has it off.
  assertLocalRefusal(await failure(perClient.client.predict([], { validate: true })), ["texts"]);
  assert.deepEqual(perClient.sent, ["Predict"]);
});
