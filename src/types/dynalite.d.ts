// dynalite ships no types; the demo only needs its factory, which returns an http.Server.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  export default function dynalite(options?: Record<string, unknown>): Server;
}
