// Starts the real BertIgGrpc server for a test run: free loopback ports, a temporary cache
// directory, wait for grpc.health.v1 SERVING, stop it afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
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

/** A port the OS says is free right now (bind to 0, read it back, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("no port"));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

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
  const grpcPort = await freePort();
  const httpPort = await freePort();
  // BERTIG_TEST_CACHE_DIR lets several suites share one model build; otherwise a fresh dir.
  const sharedCache = process.env.BERTIG_TEST_CACHE_DIR;
  const cacheDir = sharedCache ?? mkdtempSync(join(tmpdir(), "bertig-ts-cache-"));
  const grpcUrl = `http://127.0.0.1:${grpcPort}`;
  const { args, cwd } = serverCommand(root);
  const child = spawn(
    "dotnet",
    [
      ...args,
      `--Kestrel:Endpoints:Grpc:Url=${grpcUrl}`,
      `--Kestrel:Endpoints:Http:Url=http://127.0.0.1:${httpPort}`,
      `--BertIg:CacheDirectory=${cacheDir}`,
      ...extraArgs,
    ],
    { cwd, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const stop = async () => {
    await stopChild(child);
    if (sharedCache === undefined) rmSync(cacheDir, { recursive: true, force: true });
  };

  const timeoutS = Number(process.env.BERTIG_SERVER_START_TIMEOUT_S ?? "300");
  try {
    await waitServing(grpcUrl, child, timeoutS * 1000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- server output (tail) ---\n${log.join("").slice(-6000)}`);
  }
  return { grpcUrl, grpcPort, httpPort, stop };
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
