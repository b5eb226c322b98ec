import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of a real server, which a test can turn into a listener that accepts and never
 * answers (`silence()`), or close so its port refuses connections (`close()`): the two ways a remote dependency
 * goes away after start-up.
 */
export class SwitchableTcpProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #silent = false;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on 127.0.0.1:`port` and forwards to 127.0.0.1:`targetPort`. */
  static async start(port: number, targetPort: number): Promise<SwitchableTcpProxy> {
    const server = createServer();
    const proxy = new SwitchableTcpProxy(server, port);
    server.on('connection', (socket) => proxy.#accept(socket, targetPort));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** From now on connections are accepted and never answered; open ones are cut, so kept-alive sockets reconnect. */
  silence(): void {
    this.#silent = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: Socket, targetPort: number): void {
    this.#track(socket);
    if (this.#silent) return;
    const upstream = connect(targetPort, '127.0.0.1');
    this.#track(upstream);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
