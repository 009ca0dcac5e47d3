// Shared set-up for the dashboard's end-to-end tests: starts the real BertIgGrpc server on free
// ports with a temporary cache directory, waits until it serves the page and lists a model, and
// launches Debian's Chromium through playwright-core.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const artifactsDir = path.join(repoRoot, "tests/dashboard/artifacts");
const serverProjectDir = path.join(repoRoot, "src/BertIgGrpc.Server");

/** Flags Debian's Chromium needs to run headless as root in a container without a GPU or network. */
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: chromiumArgs,
  });
}

/** The newest built server assembly (Release or Debug), or BERTIG_SERVER_DLL. */
function serverDll() {
  if (process.env.BERTIG_SERVER_DLL) return path.resolve(process.env.BERTIG_SERVER_DLL);
  const candidates = ["Release", "Debug"]
    .map((config) => path.join(serverProjectDir, "bin", config, "net10.0", "BertIgGrpc.Server.dll"))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (candidates.length === 0) {
    throw new Error(`No built server found under ${serverProjectDir}/bin; run 'dotnet build src/BertIgGrpc.Server -c Release' first.`);
  }
  return candidates[0];
}

/**
 * Calls Explainer/ListModels over gRPC-Web by hand (5-byte frame header + protobuf payload) and
 * returns the number of payload bytes: an empty ListModelsResponse means no model is loaded yet.
 */
export async function listModelsPayloadBytes(baseUrl, apiKey) {
  const response = await fetch(`${baseUrl}/bertig.v1.Explainer/ListModels`, {
    method: "POST",
    headers: {
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: new Uint8Array([0, 0, 0, 0, 0]),
    signal: AbortSignal.timeout(5000),
  });
  const body = new Uint8Array(await response.arrayBuffer());
  let status = response.headers.get("grpc-status");
  let dataBytes = 0;
  for (let offset = 0; offset + 5 <= body.length; ) {
    const flag = body[offset];
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const frame = body.subarray(offset + 5, offset + 5 + length);
    if (flag & 0x80) {
      const match = /grpc-status:\s*(\d+)/i.exec(new TextDecoder().decode(frame));
      if (match) status = match[1];
    } else {
      dataBytes += length;
    }
    offset += 5 + length;
  }
  if (response.status !== 200 || status !== "0") {
    throw new Error(`ListModels answered HTTP ${response.status}, grpc-status ${status}`);
  }
  return dataBytes;
}

/**
 * Starts the server unless BERTIG_DASHBOARD_URL points at one that already runs (not for extraArgs).
 * extraArgs are more server settings; apiKey is the key the readiness check sends when the server needs one.
 * Returns { baseUrl, stop(), log() }.
 */
export async function startServer({ timeoutMs = 300_000, extraArgs = [], apiKey = undefined, logName = "server.log" } = {}) {
  if (process.env.BERTIG_DASHBOARD_URL && extraArgs.length === 0) {
    return { baseUrl: process.env.BERTIG_DASHBOARD_URL.replace(/\/$/, ""), stop: async () => {}, log: () => "" };
  }
  mkdirSync(artifactsDir, { recursive: true });
  // A fixed cache directory (BERTIG_TEST_CACHE_DIR) lets repeated local runs skip the first-start model build.
  const ownCache = !process.env.BERTIG_TEST_CACHE_DIR;
  const cacheDir = process.env.BERTIG_TEST_CACHE_DIR ?? mkdtempSync(path.join(os.tmpdir(), "bertig-dashboard-cache-"));
  const logFile = path.join(artifactsDir, logName);
  const log = createWriteStream(logFile);
  // Both endpoints bind port 0 (the system picks free ports as Kestrel binds them: no pick-then-bind race); the HTTP
  // one is read back from the log. Kestrel binds configured endpoints in key order, "Grpc" then "Http".
  let baseUrl = "";
  // The server's project folder is the working directory so its content root holds wwwroot.
  const child = spawn(
    "dotnet",
    [
      serverDll(),
      "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
      "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
      `--BertIg:CacheDirectory=${cacheDir}`,
      ...extraArgs,
    ],
    { cwd: serverProjectDir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOTNET_NOLOGO: "1" } },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = { code, signal };
  });

  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const stop = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      const done = new Promise((resolve) => child.once("exit", resolve));
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
    }
    log.end();
    if (ownCache) rmSync(cacheDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  let lastError = "not started";
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(`The server exited early (${JSON.stringify(exited)}). Log:\n${readLog().slice(-4000)}`);
    }
    try {
      const addresses = [...readLog().matchAll(/Now listening on: (http:\/\/\S+)\r?\n/g)].map((m) => m[1]);
      if (addresses.length < 2) throw new Error("the server has not logged its two addresses yet");
      baseUrl = addresses[1];
      const page = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(5000) });
      if (page.status !== 200) throw new Error(`GET / answered ${page.status}`);
      if ((await listModelsPayloadBytes(baseUrl, apiKey)) > 0) return { baseUrl, stop, log: readLog };
      lastError = "ListModels is empty";
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await stop();
  throw new Error(`The server was not ready after ${timeoutMs} ms (${lastError}). Log:\n${readLog().slice(-4000)}`);
}

/** Reads the server's Prometheus text at /metrics into [{ name, labels, value }]. */
export async function readMetrics(baseUrl) {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const samples = [];
  for (const line of (await response.text()).split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of a series' samples whose labels satisfy the filter. */
export function metricSum(samples, name, filter = () => true) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((sum, s) => sum + s.value, 0);
}
