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
 * One client's retry policy (validated {@link RetryOptions}): which failed attempt is tried again and how long to wait
 * first. Shared by {@link retryUnavailable} (unary calls) and `BertIgClient.explain` (a stream that failed before its
 * first event).
 */
export class RetryPolicy {
  readonly options: Required<RetryOptions>;

  constructor(options: RetryOptions = {}) {
    const policy = { ...defaultRetry, ...options };
    if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
      throw new Error(`retry.maxAttempts must be a whole number of at least 1, got ${policy.maxAttempts}`);
    }
    if (!(policy.initialBackoffMs > 0) || !(policy.maxBackoffMs >= policy.initialBackoffMs) || !(policy.backoffMultiplier > 0)) {
      throw new Error("retry: initialBackoffMs must be positive and not above maxBackoffMs, backoffMultiplier positive");
    }
    this.options = policy;
  }

  /** Whether attempt number `attempt` (1 for the first), which failed with `reason`, is tried again. */
  retries(attempt: number, reason: unknown, signal?: AbortSignal): boolean {
    return attempt < this.options.maxAttempts && !(signal?.aborted ?? false) && isRetryable(reason);
  }

  /** The wait before the attempt after `attempt`, in ms: full jitter below a bound growing from `initialBackoffMs`. */
  delayMs(attempt: number): number {
    const { initialBackoffMs, backoffMultiplier, maxBackoffMs } = this.options;
    return Math.random() * Math.min(initialBackoffMs * backoffMultiplier ** (attempt - 1), maxBackoffMs);
  }
}

/**
 * An interceptor that retries unary calls that failed with `UNAVAILABLE` (or a refused stream, see
 * {@link RetryOptions}), within the call's one deadline (every attempt shares it) and `maxAttempts`. No other status is
 * retried. Streaming calls pass through untouched (their request messages can be read once; `BertIgClient.explain`
 * retries its stream itself). {@link BertIgClient} adds it to the transport it creates; add it yourself to a transport
 * you pass in.
 */
export function retryUnavailable(options: RetryOptions | RetryPolicy = {}): Interceptor {
  const policy = options instanceof RetryPolicy ? options : new RetryPolicy(options);
  return (next) => async (request) => {
    if (request.stream) {
      return next(request);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(request);
      } catch (reason) {
        if (!policy.retries(attempt, reason, request.signal)) {
          throw reason;
        }
      }
      await sleep(policy.delayMs(attempt), request.signal);
    }
  };
}

/**
 * Yields the items of the stream `open(timeoutMs)` opens. A stream that fails before its first item the way `policy`
 * retries a unary call is opened again after the policy's backoff, every attempt within the one deadline `timeoutMs`
 * sets (`open` gets the time left); once an item has arrived, a failure ends the stream (a restart would repeat what the
 * caller has seen). No `policy`: the stream is opened once.
 */
export async function* retryBeforeFirstItem<T>(
  policy: RetryPolicy | undefined,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  open: (timeoutMs: number | undefined) => AsyncIterable<T>,
): AsyncGenerator<T, void, undefined> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let started = false;
    try {
      for await (const item of open(deadline === undefined ? undefined : deadline - Date.now())) {
        started = true;
        yield item;
      }
      return;
    } catch (reason) {
      if (started || policy === undefined || !policy.retries(attempt, reason, signal)) {
        throw reason;
      }
    }
    const delay = policy.delayMs(attempt);
    if (deadline !== undefined && Date.now() + delay >= deadline) {
      throw new ConnectError(`the deadline passed before attempt ${attempt + 1} of the stream`, Code.DeadlineExceeded);
    }
    await sleep(delay, signal);
  }
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
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
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
