import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BertIgClient, Code, ConnectError } from "../src/index.js";
import { createPki, type TestPki } from "./pki.js";
import { startServer, type TestServer } from "./server.js";

const apiKey = "ts-client-tests-key-0123456789abcdef";

let pki: TestPki;
let server: TestServer;
let tlsUrl: string;

before(async () => {
  pki = createPki();
  server = await startServer([
    "--Kestrel:Endpoints:GrpcTls:Url=https://127.0.0.1:0",
    "--Kestrel:Endpoints:GrpcTls:Protocols=Http2",
    `--Kestrel:Endpoints:GrpcTls:Certificate:Path=${pki.serverCertPath}`,
    `--Kestrel:Endpoints:GrpcTls:Certificate:KeyPath=${pki.serverKeyPath}`,
    `--BertIg:Auth:ApiKeys:0=${apiKey}`,
    `--BertIg:Auth:ClientCertificates:CaPath=${pki.caPath}`,
  ]);
  tlsUrl = server.tlsUrls[0];
  assert.ok(tlsUrl, "the server did not log its TLS address");
});

after(async () => {
  await server?.stop();
  pki?.remove();
});

async function expectCode(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  const error = await promise.then(
    () => assert.fail(`expected ${Code[code]}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.code, code, error.message);
  return error;
}

describe("BertIgClient against a server with authentication", () => {
  test("listModels_TlsWithCaAndApiKey_Succeeds", async () => {
    using client = new BertIgClient(tlsUrl, { ca: pki.ca, apiKey });
    const models = await client.listModels({ timeoutMs: 30_000 });
    assert.ok(models.some((m) => m.name === "minilm-sentiment"));
  });

  test("listModels_TlsWithoutCredentials_IsUnauthenticated", async () => {
    using client = new BertIgClient(tlsUrl, { ca: pki.ca });
    const error = await expectCode(client.listModels({ timeoutMs: 30_000 }), Code.Unauthenticated);
    assert.match(error.rawMessage, /authorization: Bearer/);
  });

  test("listModels_ClientCertificate_Succeeds", async () => {
    using client = new BertIgClient(tlsUrl, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    assert.ok((await client.listModels({ timeoutMs: 30_000 })).length > 0);
  });

  test("listModels_WrongKeyOverLoopbackPlaintext_IsUnauthenticated", async () => {
    using client = new BertIgClient(server.grpcUrl, { apiKey: "wrong-key-0123456789abcdef" });
    await expectCode(client.listModels({ timeoutMs: 30_000 }), Code.Unauthenticated);
  });

  test("constructor_ApiKeyOverPlaintextToAnotherHost_Throws", () => {
    assert.throws(() => new BertIgClient("http://bertig.example.com:50051", { apiKey }), /only sent over https/);
  });
});
