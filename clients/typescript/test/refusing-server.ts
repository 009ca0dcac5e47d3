// An HTTP/2 (h2c) server that stands in for a server closing a connection as calls start on it: it resets the first
// `refuse` streams with `code` (REFUSED_STREAM: the server did not process them, as Kestrel refuses calls that arrive
// while it closes a connection to shut down) and answers later ones with gRPC status NOT_FOUND (5). With
// `afterMessage`, a stream it turns away first gets one ExplainResponse progress event and then status UNAVAILABLE (a
// failure the client would retry had no event arrived).
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExplainResponseSchema } from "../src/gen/bertig/v1/explainer_pb.js";
import type net from "node:net";

export interface RefusingServer {
  readonly url: string;
  /** Streams received, reset or answered. */
  readonly streams: number;
  close(): Promise<void>;
}

export async function startRefusingServer(refuse: number, code: number, afterMessage = false): Promise<RefusingServer> {
  let streams = 0;
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    if (++streams <= refuse) {
      if (afterMessage) {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "14", "grpc-message": "shutting down" }));
        stream.end(grpcFrame(toBinary(ExplainResponseSchema, create(ExplainResponseSchema, { event: { case: "progress", value: { stepsDone: 1, stepsTotal: 50 } } }))));
      } else {
        stream.close(code);
      }
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

/** One gRPC length-prefixed message frame (uncompressed). */
function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
