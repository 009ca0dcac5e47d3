import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * How a unary call refused with `UNAVAILABLE` is tried again: the status a server answers while it shuts down (and
 * a connection that cannot be opened), so the next attempt reaches a server that is still up. The same policy and
 * defaults as the C# client's retry (gRPC's retryPolicy: exponential backoff with full jitter). A stream the server
 * refused (HTTP/2 RST_STREAM REFUSED_STREAM, as Kestrel does with calls that arrive while it closes a connection to
 * shut down), which connect-node reports as `INTERNAL`, is tried again the same way: the server did not process it.
 */
export interface RetryOptions {
  /** Attempts per call, the first included (default 5); 1 turns retrying off. */
  readonly maxAttempts?: number;
  /** Upper bound of the wait before the first retry, in ms (default 500). */
  readonly initialBackoffMs?: number;
  /** Cap of the wait bound, in ms (default 5000). */
  readonly maxBackoffMs?: number;
  /** Growth of the wait bound per retry (default 2). */
  readonly backoffMultiplier?: number;
}

/** The defaults of {@link RetryOptions}. */
export const defaultRetry: Required<RetryOptions> = {
  maxAttempts: 5,
  initialBackoffMs: 500,
  maxBackoffMs: 5000,
  backoffMultiplier: 2,
};

/**
 * An interceptor that retries unary calls that failed with `UNAVAILABLE`, within the call's one deadline (every attempt
 * shares it) and `maxAttempts`. No other status is retried. Streaming calls pass through untouched (their request
 * messages can be read once). {@link BertIgClient} adds it to the transport it creates; add it yourself to a
 * transport you pass in.
 */
export function retryUnavailable(options: RetryOptions = {}): Interceptor {
  const policy = { ...defaultRetry, ...options };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new Error(`retry.maxAttempts must be a whole number of at least 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.initialBackoffMs > 0) || !(policy.maxBackoffMs >= policy.initialBackoffMs) || !(policy.backoffMultiplier > 0)) {
    throw new Error("retry: initialBackoffMs must be positive and not above maxBackoffMs, backoffMultiplier positive");
  }
  return (next) => async (request) => {
    if (request.stream) {
      return next(request);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (reason) {
        if (attempt >= policy.maxAttempts || request.signal.aborted || !isRetryable(reason)) {
          throw reason;
        }
      }
      const bound = Math.min(policy.initialBackoffMs * policy.backoffMultiplier ** (attempt - 1), policy.maxBackoffMs);
      await sleep(Math.random() * bound, request.signal);
    }
  };
}

function isRetryable(reason: unknown): boolean {
  const code = ConnectError.from(reason).code;
  return code === Code.Unavailable || (code === Code.Internal && isRefusedStream(reason));
}

/**
 * Whether the call failed because the server refused its HTTP/2 stream (REFUSED_STREAM): Node fails the stream with
 * ERR_HTTP2_STREAM_ERROR naming the code, and connect-node passes that on as the cause of an `INTERNAL` error.
 */
export function isRefusedStream(reason: unknown): boolean {
  let e: unknown = reason;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++, e = e.cause) {
    if ((e as { code?: unknown }).code === "ERR_HTTP2_STREAM_ERROR" && e.message.includes("NGHTTP2_REFUSED_STREAM")) {
      return true;
    }
  }
  return false;
}

/** Waits `ms`; rejects as the call would (deadline exceeded, canceled) when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason, Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}
