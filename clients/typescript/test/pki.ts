// A throw-away PKI made with the openssl command line: a CA, a server certificate for
// 127.0.0.1/localhost, and a client certificate for mutual TLS.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  readonly dir: string;
  readonly caPath: string;
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  remove(): void;
}

export function createPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "bertig-ts-pki-"));
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=BertIg TS Test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  const issue = (name: string, cn: string, extensions: string) => {
    writeFileSync(p(`${name}.ext`), extensions);
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.pem`, "-days", "1", "-extfile", `${name}.ext`);
  };
  issue("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue("client", "bertig-ts-client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caPath: p("ca.pem"),
    serverCertPath: p("server.pem"),
    serverKeyPath: p("server.key"),
    ca: readFileSync(p("ca.pem")),
    clientCert: readFileSync(p("client.pem")),
    clientKey: readFileSync(p("client.key")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
