// The Explainer client over gRPC-Web, generated from protos/ at build time (src/gen is git-ignored).
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Explainer } from "./gen/bertig/v1/explainer_pb.js";

export type ExplainerClient = Client<typeof Explainer>;

/**
 * Creates a client for the service that served this page. The page and the gRPC-Web
 * endpoint share an origin, so no CORS set-up is needed on the server.
 */
export function createExplainerClient(baseUrl: string = window.location.origin): ExplainerClient {
  const transport = createGrpcWebTransport({ baseUrl, useBinaryFormat: true });
  return createClient(Explainer, transport);
}
