import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  Baseline,
  Explainer,
  ExplainRequestSchema,
  ExplainUnaryRequestSchema,
  IntegrationMethod,
  ListModelsRequestSchema,
  LongText,
  PredictRequestSchema,
  type ExplainProgress,
  type ExplainRequest,
  type ExplainResult,
  type ExplainUnaryRequest,
  type ModelInfo,
  type PredictResponse,
} from "./gen/bertig/v1/explainer_pb.js";
import { toClientError } from "./errors.js";
import { RetryPolicy, retryBeforeFirstItem, retryUnavailable, type RetryOptions } from "./retry.js";
import { checkRequest } from "./validation.js";

/** Options for one call. */
export interface CallOptions {
  /** Deadline for the call in milliseconds (sent as `grpc-timeout`). */
  readonly timeoutMs?: number;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
  /**
   * Check the request against the contract's buf.validate rules before sending it (default: the client's
   * `validate` option). `false` sends it as it is, e.g. to exercise the server's own validation.
   */
  readonly validate?: boolean;
}

/**
 * What to explain and how; every member is optional and maps to a field of `ExplainRequest` (streaming) and
 * `ExplainUnaryRequest` (unary), which carry the same fields.
 */
export interface ExplainOptions extends CallOptions {
  /** Model name; omitted selects the server's default model. */
  readonly model?: string;
  /** Second segment for sentence-pair classifiers. */
  readonly textPair?: string;
  /** Class to explain, by index or label; omitted explains the predicted class. */
  readonly target?: number | string;
  /** Integration steps; omitted means the server default (50). */
  readonly nSteps?: number;
  /** Integration rule; omitted sends UNSPECIFIED, the server's default (Gauss-Legendre). */
  readonly method?: IntegrationMethod;
  /** Baseline; omitted sends UNSPECIFIED, the server's default (PAD). */
  readonly baseline?: Baseline;
  /** Interpolation rows per ONNX Runtime run; omitted lets the server choose. */
  readonly internalBatchSize?: number;
  /** > 0 turns on adaptive steps (see the proto). */
  readonly tolerance?: number;
  /** Step cap in adaptive mode. */
  readonly maxSteps?: number;
  /** Cut texts longer than the model's token limit instead of failing (an alias of `longText: LongText.TRUNCATE`). */
  readonly truncate?: boolean;
  /** Multiply gradients by (input - baseline); the server's default is true. */
  readonly multiplyByInputs?: boolean;
  /**
   * Texts over the model's token limit: omitted refuses them (unless `truncate`), `LongText.TRUNCATE` cuts them,
   * `LongText.WINDOWS` explains them in overlapping windows (`result.windows`).
   */
  readonly longText?: LongText;
  /** `LongText.WINDOWS`: tokens between window starts; omitted means half a window. */
  readonly windowStride?: number;
  /** Also explain every class: `result.perTarget`, one attribution list per class. */
  readonly allTargets?: boolean;
  /** Also score the ranking's faithfulness (ERASER comprehensiveness and sufficiency): `result.faithfulness`. */
  readonly faithfulness?: boolean;
}

/** Options for {@link BertIgClient.predict}. */
export interface PredictOptions extends CallOptions {
  readonly model?: string;
  readonly truncate?: boolean;
  /** Texts over the model's token limit: `LongText.WINDOWS` averages the logits of overlapping windows (`prediction.windows`). */
  readonly longText?: LongText;
  /** `LongText.WINDOWS`: tokens between window starts; omitted means half a window. */
  readonly windowStride?: number;
}

/** One event of a streaming explanation: progress while integrating, then one result. */
export type ExplainEvent =
  | { readonly kind: "progress"; readonly progress: ExplainProgress }
  | { readonly kind: "result"; readonly result: ExplainResult };

/** Options for {@link BertIgClient}. */
export interface BertIgClientOptions {
  /** Deadline applied to calls that set no `timeoutMs`. */
  readonly defaultTimeoutMs?: number;
  /**
   * Refuse requests that break the contract's buf.validate rules before sending them, with a {@link ValidationError}
   * whose `local` is true (default true). A call's own `validate` overrides it.
   */
  readonly validate?: boolean;
  /**
   * Retrying of calls refused with UNAVAILABLE (a server shutting down), within each call's deadline (unary calls, and
   * `explain` until its first event): default 5 attempts, backoff 0.5 s growing to 5 s. `{ maxAttempts: 1 }` turns it
   * off.
   */
  readonly retry?: RetryOptions;
  /**
   * Use this transport instead of a new gRPC (HTTP/2) transport, e.g. to add interceptors. `retry` does not apply to
   * it: add `retryUnavailable()` to its interceptors.
   */
  readonly transport?: Transport;
  /**
   * API key (or token) sent as `authorization: Bearer <value>` on every call, for a server with `BertIg:Auth`.
   * Over plain `http://` it is only sent to a loopback address.
   */
  readonly apiKey?: string;
  /** TLS (`https://`): PEM CA certificate(s) to trust instead of the system's roots, e.g. `readFileSync("ca.pem")`. */
  readonly ca?: string | Buffer;
  /** TLS: PEM client certificate for mutual TLS (with `key`). */
  readonly cert?: string | Buffer;
  /** TLS: PEM private key of `cert`. */
  readonly key?: string | Buffer;
}

/** An interceptor that adds `authorization: Bearer <apiKey>` to every request. */
export function bearerAuth(apiKey: string): Interceptor {
  return (next) => async (request) => {
    request.header.set("authorization", `Bearer ${apiKey}`);
    return next(request);
  };
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Typed client for `bertig.v1.Explainer` over gRPC (HTTP/2, h2c for `http://` URLs).
 * Requests are checked against the contract's buf.validate rules before sending (see `validate`); a request that
 * breaks one, locally or at the server, fails with {@link ValidationError}; other failures as `ConnectError`.
 */
export class BertIgClient {
  private readonly client: Client<typeof Explainer>;
  private readonly session: Http2SessionManager | undefined;
  private readonly validate: boolean;
  // The retry policy and default deadline of a transport this client created (none for a transport passed in).
  private readonly retry: RetryPolicy | undefined;
  private readonly defaultTimeoutMs: number | undefined;

  /** @param baseUrl the server's gRPC address, e.g. `http://127.0.0.1:50051`. */
  constructor(baseUrl: string, options: BertIgClientOptions = {}) {
    this.validate = options.validate ?? true;
    let transport = options.transport;
    if (transport === undefined) {
      this.retry = new RetryPolicy(options.retry);
      this.defaultTimeoutMs = options.defaultTimeoutMs;
      const url = new URL(baseUrl);
      const tls = options.ca !== undefined || options.cert !== undefined || options.key !== undefined;
      if (tls && url.protocol !== "https:") {
        throw new Error(`ca/cert/key need an https:// address, got ${baseUrl}`);
      }
      if (options.apiKey !== undefined && url.protocol !== "https:" && !loopbackHosts.has(url.hostname)) {
        throw new Error(`apiKey is only sent over https:// (or to a loopback address); ${baseUrl} would expose it`);
      }
      // Own the HTTP/2 session so close() can release the socket and let Node exit.
      this.session = new Http2SessionManager(baseUrl, undefined, tls ? { ca: options.ca, cert: options.cert, key: options.key } : undefined);
      transport = createGrpcTransport({
        baseUrl,
        sessionManager: this.session,
        defaultTimeoutMs: options.defaultTimeoutMs,
        interceptors: [retryUnavailable(this.retry), ...(options.apiKey === undefined ? [] : [bearerAuth(options.apiKey)])],
      });
    }
    this.client = createClient(Explainer, transport);
  }

  /** Streams progress events, then the final result for `text`; started again as `retry` says until its first event. */
  async *explain(text: string, options: ExplainOptions = {}): AsyncGenerator<ExplainEvent, void, undefined> {
    const request = toExplainRequest(text, options);
    this.check(ExplainRequestSchema, request, options);
    const open = (timeoutMs: number | undefined) => this.client.explain(request, { timeoutMs, signal: options.signal });
    try {
      for await (const event of retryBeforeFirstItem(this.retry, options.timeoutMs ?? this.defaultTimeoutMs, options.signal, open)) {
        switch (event.event.case) {
          case "progress":
            yield { kind: "progress", progress: event.event.value };
            break;
          case "result":
            yield { kind: "result", result: event.event.value };
            break;
          default:
            // An event kind newer than this client: skip rather than fail the stream.
            break;
        }
      }
    } catch (reason) {
      throw toClientError(reason);
    }
  }

  /** Explains `text` and returns only the final result (the ExplainUnary RPC). */
  async explainUnary(text: string, options: ExplainOptions = {}): Promise<ExplainResult> {
    const request = toExplainUnaryRequest(text, options);
    this.check(ExplainUnaryRequestSchema, request, options);
    let response;
    try {
      response = await this.client.explainUnary(request, callOptions(options));
    } catch (reason) {
      throw toClientError(reason);
    }
    if (response.result === undefined) {
      throw new Error("The server answered ExplainUnary without a result.");
    }
    return response.result;
  }

  /** Classifies one text or several (the server runs them as padded batches). */
  async predict(texts: string | readonly string[], options: PredictOptions = {}): Promise<PredictResponse> {
    const request = create(PredictRequestSchema, {
      texts: typeof texts === "string" ? [texts] : [...texts],
      model: options.model ?? "",
      truncate: options.truncate ?? false,
      longText: options.longText ?? LongText.UNSPECIFIED,
      windowStride: options.windowStride ?? 0,
    });
    this.check(PredictRequestSchema, request, options);
    try {
      return await this.client.predict(request, callOptions(options));
    } catch (reason) {
      throw toClientError(reason);
    }
  }

  /** The models the server has loaded. */
  async listModels(options: CallOptions = {}): Promise<ModelInfo[]> {
    try {
      const response = await this.client.listModels(create(ListModelsRequestSchema), callOptions(options));
      return response.models;
    } catch (reason) {
      throw toClientError(reason);
    }
  }

  /** Refuses a request that breaks a buf.validate rule, unless validation is off for this call or this client. */
  private check<Desc extends DescMessage>(schema: Desc, request: MessageShape<Desc>, options: CallOptions): void {
    if (options.validate ?? this.validate) {
      checkRequest(schema, request);
    }
  }

  /** Closes the HTTP/2 connection (only when the client created its own transport). */
  close(): void {
    this.session?.abort();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function callOptions(options: CallOptions): { timeoutMs?: number; signal?: AbortSignal } {
  return { timeoutMs: options.timeoutMs, signal: options.signal };
}

/** Maps the friendly options onto the request message of the streaming Explain RPC. */
export function toExplainRequest(text: string, options: ExplainOptions = {}): ExplainRequest {
  return create(ExplainRequestSchema, explainFields(text, options));
}

/** Maps the friendly options onto the request message of the ExplainUnary RPC (the same fields). */
export function toExplainUnaryRequest(text: string, options: ExplainOptions = {}): ExplainUnaryRequest {
  return create(ExplainUnaryRequestSchema, explainFields(text, options));
}

// The fields both request types share, as one plain object (each request type is created from it).
function explainFields(text: string, options: ExplainOptions) {
  const target: ExplainRequest["target"] =
    options.target === undefined
      ? { case: undefined }
      : typeof options.target === "number"
        ? { case: "targetIndex", value: options.target }
        : { case: "targetLabel", value: options.target };
  return {
    text,
    model: options.model ?? "",
    textPair: options.textPair ?? "",
    target,
    nSteps: options.nSteps ?? 0,
    method: options.method ?? IntegrationMethod.UNSPECIFIED,
    baseline: options.baseline ?? Baseline.UNSPECIFIED,
    internalBatchSize: options.internalBatchSize ?? 0,
    tolerance: options.tolerance ?? 0,
    maxSteps: options.maxSteps ?? 0,
    truncate: options.truncate ?? false,
    multiplyByInputs: options.multiplyByInputs,
    longText: options.longText ?? LongText.UNSPECIFIED,
    windowStride: options.windowStride ?? 0,
    allTargets: options.allTargets ?? false,
    faithfulness: options.faithfulness ?? false,
  };
}
