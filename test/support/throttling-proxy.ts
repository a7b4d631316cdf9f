/**
 * An HTTP proxy on 127.0.0.1 in front of a real test server that answers chosen requests itself with a throttling
 * status and headers (503 SlowDown with Retry-After, Azure's x-ms-retry-after-ms...), and forwards the rest
 * untouched: the servers ferry is tested against never throttle on their own.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface Throttle {
  /** Which requests to answer (default: all). */
  match?: (req: IncomingMessage) => boolean;
  /** How many matching requests to answer before forwarding again (default: unlimited). */
  times?: number;
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export interface ThrottlingProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** host:port */
  hostPort: string;
  /** Requests answered by the proxy itself, and forwarded ones. */
  stats: { throttled: number; forwarded: number };
  throttle(t: Throttle | undefined): void;
  close(): Promise<void>;
}

export async function throttlingProxy(target: string): Promise<ThrottlingProxy> {
  const to = new URL(target.includes('://') ? target : `http://${target}`);
  let rule: (Throttle & { left: number }) | undefined;
  const stats = { throttled: 0, forwarded: 0 };
  const server: Server = createServer((req, res) => {
    if (rule && rule.left > 0 && (rule.match?.(req) ?? true)) {
      rule.left -= 1;
      stats.throttled += 1;
      // Drain the request body before answering, as a server does.
      req.resume();
      req.on('end', () => {
        res.writeHead(rule?.status ?? 503, { ...(rule?.headers ?? {}), connection: 'close' });
        res.end(rule?.body ?? '');
      });
      return;
    }
    stats.forwarded += 1;
    const up = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    stats,
    throttle(t) {
      rule = t ? { ...t, left: t.times ?? Number.POSITIVE_INFINITY } : undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
