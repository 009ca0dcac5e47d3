// An HTTP/2 (h2c) server that stands in for a server closing a connection as calls start on it: it resets the first
// `refuse` streams with `code` (REFUSED_STREAM: the server did not process them, as Kestrel refuses calls that arrive
// while it closes a connection to shut down) and answers later ones with gRPC status NOT_FOUND (5).
import http2 from "node:http2";
import type net from "node:net";

export interface RefusingServer {
  readonly url: string;
  /** Streams received, reset or answered. */
  readonly streams: number;
  close(): Promise<void>;
}

export async function startRefusingServer(refuse: number, code: number): Promise<RefusingServer> {
  let streams = 0;
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    if (++streams <= refuse) {
      stream.close(code);
      return;
    }
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "answered" }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get streams() {
      return streams;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
