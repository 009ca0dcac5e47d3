import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  Baseline,
  BertIgClient,
  Code,
  ConnectError,
  IntegrationMethod,
  LongText,
  ValidationError,
  type ExplainProgress,
  type ExplainResult,
  type TokenAttribution,
} from "../src/index.js";
import { repoRoot, startServer, type TestServer } from "./server.js";

const run = promisify(execFile);

/** The non-special token with the largest attribution. */
function topToken(tokens: readonly TokenAttribution[]): TokenAttribution {
  const candidates = tokens.filter((t) => !t.special);
  assert.ok(candidates.length > 0, "result has no non-special tokens");
  return candidates.reduce((best, t) => (t.attribution > best.attribution ? t : best));
}

let server: TestServer;
let client: BertIgClient;

before(async () => {
  server = await startServer();
  client = new BertIgClient(server.grpcUrl, { defaultTimeoutMs: 120_000 });
});

after(async () => {
  client?.close();
  await server?.stop();
});

describe("BertIgClient", () => {
  test("explain streams progress events then a result whose top token is 'superb'", async () => {
    const progress: ExplainProgress[] = [];
    const results: ExplainResult[] = [];
    for await (const event of client.explain("This movie is superb")) {
      if (event.kind === "progress") {
        assert.equal(results.length, 0, "progress after the result");
        progress.push(event.progress);
      } else {
        results.push(event.result);
      }
    }
    assert.ok(progress.length > 0, "no progress events");
    assert.equal(results.length, 1, "expected exactly one result");
    const last = progress[progress.length - 1]!;
    assert.ok(last.stepsDone <= last.stepsTotal && last.stepsTotal > 0);
    const result = results[0]!;
    assert.equal(result.prediction?.label, "positive");
    assert.equal(topToken(result.tokens).token, "superb");
    assert.ok(Math.abs(result.convergenceDelta) < 0.1 * Math.abs(result.scoreInput - result.scoreBaseline) + 1e-3);
  });

  test("explainUnary returns the same top token as the stream", async () => {
    const result = await client.explainUnary("This movie is superb", { nSteps: 32 });
    assert.equal(result.nSteps, 32);
    // Method and baseline were left unset (UNSPECIFIED): the result names the defaults the server used.
    assert.equal(result.method, IntegrationMethod.GAUSS_LEGENDRE);
    assert.equal(result.baseline, Baseline.PAD);
    assert.equal(topToken(result.tokens).token, "superb");
  });

  test("predict classifies a batch in order", async () => {
    const response = await client.predict(["This movie is superb", "This movie is terrible and boring"]);
    assert.deepEqual(
      response.predictions.map((p) => p.label),
      ["positive", "negative"],
    );
  });

  test("listModels includes the default model", async () => {
    const models = await client.listModels();
    const defaults = models.filter((m) => m.isDefault);
    assert.equal(defaults.length, 1);
    assert.equal(defaults[0]!.name, "minilm-sentiment");
    assert.deepEqual(defaults[0]!.labels, ["negative", "positive"]);
  });

  // The server's own validation: validate: false sends the invalid request (the client would refuse it otherwise).
  test("empty text fails with a ValidationError naming the field 'text'", async () => {
    const error = await client.explainUnary("", { validate: false }).then(
      () => assert.fail("expected a validation error"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.ok(error.violation("text"), `no 'text' violation in ${JSON.stringify(error.violations)}`);
    assert.ok(error.violation("text")!.description.length > 0);
    assert.equal(error.local, false, "answered by the server");
  });

  test("streaming explain of empty text fails the same way", async () => {
    await assert.rejects(
      async () => {
        for await (const _ of client.explain("   ", { validate: false })) {
          // Drain: the error arrives as the stream's status.
        }
      },
      (e: unknown) => e instanceof ValidationError && !e.local && e.violations.some((v) => v.field === "text"),
    );
  });

  test("a request that breaks a rule is refused locally and never reaches the server; a valid one does", async () => {
    const calls: string[] = [];
    const counter: Interceptor = (next) => async (request) => {
      calls.push(request.method.name);
      return next(request);
    };
    const session = new Http2SessionManager(server.grpcUrl);
    const counted = new BertIgClient(server.grpcUrl, {
      transport: createGrpcTransport({ baseUrl: server.grpcUrl, sessionManager: session, interceptors: [counter] }),
    });
    try {
      const error = await counted.explainUnary("This movie is superb", { nSteps: 5000 }).then(
        () => assert.fail("expected a local refusal"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ValidationError && error.local, String(error));
      assert.match(error.violation("n_steps")?.description ?? "", /2048/);
      assert.deepEqual(calls, []);
      const result = await counted.explainUnary("This movie is superb", { nSteps: 16 });
      assert.equal(topToken(result.tokens).token, "superb");
      assert.deepEqual(calls, ["ExplainUnary"]);
    } finally {
      session.abort();
    }
  });
});

/** About 700 WordPiece tokens: over the default model's limit of 512. */
const LONG_REVIEW = Array.from({ length: 75 }, (_, i) =>
  ["The film opens with a superb long shot of the harbour.", "Some scenes drag and the dialogue is clumsy.", "The music is lovely and moving."][i % 3],
).join(" ");

describe("BertIgClient options on top of the explanation", () => {
  test("longText WINDOWS explains the whole text in overlapping windows, each with its own prediction", async () => {
    const result = await client.explainUnary(LONG_REVIEW, { longText: LongText.WINDOWS, windowStride: 100, nSteps: 4 });
    assert.ok(result.windows.length >= 3, `${result.windows.length} windows`);
    assert.equal(result.prediction?.windows, result.windows.length);
    assert.equal(result.truncated, false);
    assert.deepEqual([result.windows[0]!.start, result.windows.at(-1)!.end], [0, LONG_REVIEW.length]);
    for (const [i, w] of result.windows.entries()) {
      assert.equal(w.index, i);
      if (i > 0) assert.ok(w.tokenStart > result.windows[i - 1]!.tokenStart && w.tokenStart - result.windows[i - 1]!.tokenStart <= 100);
      assert.ok(w.prediction !== undefined && ["negative", "positive"].includes(w.prediction.label));
    }
    assert.equal(result.tokens.filter((t) => !t.special).at(-1)!.end, LONG_REVIEW.length);
  });

  test("predict with longText WINDOWS averages the windows; without it the long text is refused", async () => {
    const response = await client.predict([LONG_REVIEW, "This movie is superb"], { longText: LongText.WINDOWS });
    assert.ok(response.predictions[0]!.windows >= 2);
    assert.equal(response.predictions[1]!.windows, 0);
    await assert.rejects(client.predict(LONG_REVIEW), (e: unknown) => e instanceof ValidationError && /512/.test(e.message));
  });
});

describe("BertIgClient every class and faithfulness", () => {
  test("allTargets and faithfulness return one attribution list per class and ERASER scores beating random", async () => {
    const result = await client.explainUnary("This movie is superb", { allTargets: true, faithfulness: true, nSteps: 20 });
    assert.deepEqual(result.perTarget.map((t) => t.label), ["negative", "positive"]);
    const positive = result.perTarget[1]!;
    assert.ok(Math.abs(positive.attributionSum - result.attributionSum) < 1e-4);
    assert.equal(topToken(positive.tokens).token, "superb");
    assert.ok(topToken(result.perTarget[0]!.tokens).token !== "superb", "superb pushes away from negative");
    const f = result.faithfulness!;
    assert.deepEqual(f.points.map((p) => [Math.round(p.fraction * 10) / 10, p.tokens]), [[0.1, 1], [0.2, 1], [0.3, 2], [0.4, 2], [0.5, 2]]);
    assert.ok(f.comprehensivenessAopc > f.randomComprehensivenessAopc && f.sufficiencyAopc < f.randomSufficiencyAopc);
    assert.equal(f.replacementToken, "[PAD]");
  });
});

describe("ghz recipes (checked with buf curl over server reflection)", () => {
  const ghzDir = join(repoRoot(), "clients", "ghz");
  const buf = join(repoRoot(), "clients", "typescript", "node_modules", ".bin", "buf");

  /** Runs a ghz config's call with its data file through `buf curl --reflect`. */
  async function curl(configFile: string): Promise<unknown[]> {
    const config = JSON.parse(readFileSync(join(ghzDir, configFile), "utf8")) as {
      call: string;
      "data-file": string;
      insecure: boolean;
    };
    assert.equal(config.insecure, true);
    // ghz names methods package.Service.Method; buf curl wants package.Service/Method.
    const dot = config.call.lastIndexOf(".");
    const path = `${config.call.slice(0, dot)}/${config.call.slice(dot + 1)}`;
    const { stdout } = await run(
      buf,
      [
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "--reflect",
        "--timeout",
        "120s",
        "-d",
        `@${join(ghzDir, config["data-file"])}`,
        `${server.grpcUrl}/${path}`,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    // buf curl prints one pretty JSON object per response message.
    return splitJsonObjects(stdout);
  }

  test("predict.ghz.json data is accepted via reflection", async () => {
    const [response] = (await curl("predict.ghz.json")) as [{ predictions: { label: string }[] }];
    assert.equal(response.predictions.length, 3);
    assert.equal(response.predictions[0]!.label, "positive");
  });

  test("explain-unary.ghz.json data is accepted via reflection", async () => {
    // ExplainUnaryResponse wraps the result; the enums come back as their full proto names.
    const [response] = (await curl("explain-unary.ghz.json")) as [
      { result: { tokens: { token: string }[]; method: string; baseline: string } },
    ];
    assert.ok(response.result.tokens.some((t) => t.token === "superb"));
    assert.equal(response.result.method, "INTEGRATION_METHOD_GAUSS_LEGENDRE");
    assert.equal(response.result.baseline, "BASELINE_PAD");
  });

  test("explain-stream.ghz.json streams progress then a result via reflection", async () => {
    const events = (await curl("explain-stream.ghz.json")) as { progress?: unknown; result?: unknown }[];
    assert.ok(events.length >= 2);
    assert.ok(events.slice(0, -1).every((e) => e.progress !== undefined));
    assert.ok(events[events.length - 1]!.result !== undefined);
  });
});

/** Splits concatenated JSON documents (buf curl's output for streams) into values. */
function splitJsonObjects(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) {
      values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}
