// Starts the real BertIgGrpc server for a test run: loopback ports the system picks, a temporary cache
// directory, wait for grpc.health.v1 SERVING, stop it afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "../src/gen/health/v1/health_pb.js";

/** A running server and how to reach it. */
export interface TestServer {
  readonly grpcUrl: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** The https:// addresses of extra TLS endpoints the test configured (port 0 read back), in configuration key order. */
  readonly tlsUrls: readonly string[];
  stop(): Promise<void>;
}

/** The repository root: the nearest parent holding BertIgGrpc.sln. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "BertIgGrpc.sln"))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error("BertIgGrpc.sln not found above " + fileURLToPath(import.meta.url));
    }
    dir = parent;
  }
  return dir;
}

// Both endpoints bind port 0 (the system picks free ports as Kestrel binds them: no pick-then-bind race) and the
// ports are read back from the server's "Now listening on:" lines. Kestrel binds configured endpoints in key order
// ("Grpc" before "Http"), so the first line is the gRPC endpoint; the health check over it confirms that.
const LISTENING = /Now listening on: (http:\/\/\S+)/g;
const LISTENING_TLS = /Now listening on: (https:\/\/\S+)/g;

/**
 * The command that runs the server: BERTIG_SERVER_DLL, else the Debug build output (what
 * clients/run-client-tests.sh builds), else `dotnet run` (builds on first use).
 */
function serverCommand(root: string): { args: string[]; cwd: string } {
  const dll =
    process.env.BERTIG_SERVER_DLL ??
    join(root, "src", "BertIgGrpc.Server", "bin", "Debug", "net10.0", "BertIgGrpc.Server.dll");
  if (existsSync(dll)) {
    return { args: [resolve(dll)], cwd: dirname(resolve(dll)) };
  }
  return { args: ["run", "--project", join(root, "src", "BertIgGrpc.Server"), "--"], cwd: root };
}

/** Starts the server (with `extraArgs`, e.g. security settings) and resolves once its health service reports SERVING. */
export async function startServer(extraArgs: readonly string[] = []): Promise<TestServer> {
  const root = repoRoot();
  // BERTIG_TEST_CACHE_DIR lets several suites share one model build; otherwise a fresh dir.
  const sharedCache = process.env.BERTIG_TEST_CACHE_DIR;
  const cacheDir = sharedCache ?? mkdtempSync(join(tmpdir(), "bertig-ts-cache-"));
  const { args, cwd } = serverCommand(root);
  const child = spawn(
    "dotnet",
    [
      ...args,
      "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
      "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
      `--BertIg:CacheDirectory=${cacheDir}`,
      ...extraArgs,
    ],
    { cwd, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  const listening: string[] = [];
  const tlsUrls: string[] = [];
  let pending = "";
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    log.push(text);
    if (log.length > 400) log.splice(0, log.length - 400);
    if (listening.length < 2) {
      // Only whole lines: a chunk may end inside an address.
      pending += text;
      const end = pending.lastIndexOf("\n") + 1;
      for (const match of pending.slice(0, end).matchAll(LISTENING)) listening.push(match[1]);
      for (const match of pending.slice(0, end).matchAll(LISTENING_TLS)) tlsUrls.push(match[1]);
      pending = pending.slice(end);
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const stop = async () => {
    await stopChild(child);
    if (sharedCache === undefined) rmSync(cacheDir, { recursive: true, force: true });
  };

  const timeoutS = Number(process.env.BERTIG_SERVER_START_TIMEOUT_S ?? "300");
  let grpcUrl = "";
  let httpPort = 0;
  try {
    const deadline = Date.now() + timeoutS * 1000;
    while (listening.length < 2) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
      }
      if (Date.now() > deadline) throw new Error(`server did not log its two addresses within ${timeoutS}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    grpcUrl = listening[0];
    httpPort = Number(new URL(listening[1]).port);
    await waitServing(grpcUrl, child, timeoutS * 1000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server output (tail) ---\n${log.join("").slice(-6000)}`);
  }
  return { grpcUrl, grpcPort: Number(new URL(grpcUrl).port), httpPort, tlsUrls, stop };
}

async function waitServing(grpcUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const session = new Http2SessionManager(grpcUrl);
  const health = createClient(Health, createGrpcTransport({ baseUrl: grpcUrl, sessionManager: session }));
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
      }
      try {
        const response = await health.check(create(HealthCheckRequestSchema, { service: "" }), { timeoutMs: 2000 });
        if (response.status === HealthCheckResponse_ServingStatus.SERVING) return;
        last = `status ${HealthCheckResponse_ServingStatus[response.status]}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    session.abort();
  }
  throw new Error(`server not SERVING after ${timeoutMs / 1000}s (last: ${last})`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
  await exited;
  clearTimeout(timer);
}
