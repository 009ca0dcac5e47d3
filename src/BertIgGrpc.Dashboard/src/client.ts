// The Explainer client over gRPC-Web, generated from protos/ at build time (src/gen is git-ignored).
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Explainer } from "./gen/bertig/v1/explainer_pb.js";

export type ExplainerClient = Client<typeof Explainer>;

/**
 * Creates a client for the service that served this page. The page and the gRPC-Web
 * endpoint share an origin, so no CORS set-up is needed on the server. `apiKey` is read
 * for every call and, when not empty, sent as `authorization: Bearer <key>`.
 */
export function createExplainerClient(baseUrl: string = window.location.origin, apiKey: () => string = () => ""): ExplainerClient {
  const bearer: Interceptor = (next) => async (request) => {
    const key = apiKey();
    if (key !== "") request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  const transport = createGrpcWebTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearer] });
  return createClient(Explainer, transport);
}
