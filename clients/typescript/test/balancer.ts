// A connection-level (L4) balancer on loopback, as a Kubernetes ClusterIP Service is for a client with one address:
// each new TCP connection goes to the first backend that accepts it, and bytes are copied both ways unchanged, so a
// backend's HTTP/2 GOAWAY and connection close reach the client as they are.
import net from "node:net";

export interface L4Balancer {
  readonly url: string;
  /** Connections forwarded to each backend, in backend order. */
  readonly connections: readonly number[];
  close(): Promise<void>;
}

export async function startL4Balancer(backendPorts: readonly number[]): Promise<L4Balancer> {
  const connections = backendPorts.map(() => 0);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    const connectTo = (i: number) => {
      if (i >= backendPorts.length) {
        client.destroy(); // no backend accepts: the client sees the connection fail
        return;
      }
      const backend = net.connect(backendPorts[i]!, "127.0.0.1");
      sockets.add(backend);
      backend.once("close", () => sockets.delete(backend));
      let connected = false;
      backend.once("connect", () => {
        connected = true;
        connections[i]!++;
        client.pipe(backend);
        backend.pipe(client);
      });
      backend.on("error", () => (connected ? client.destroy() : connectTo(i + 1)));
      client.on("error", () => backend.destroy());
    };
    connectTo(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
