/**
 * Browser test host — a test/dev harness, not part of the shipped app.
 *
 * The Electron binary cannot be downloaded on our build machines, so the renderer also runs
 * in plain Chromium against the same main-process services: this server binds 127.0.0.1
 * only, serves the built renderer (the same file rules as app://, static-files.ts), and answers
 * `POST /api/<channel>` through the very same dispatch as Electron's ipcMain. Every API call
 * must carry the per-run random token; every request must name this server as its Host (a page
 * of another site that rebinds its DNS name to 127.0.0.1 sends its own name, and is refused).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { decodeWire, encodeWire } from '../api/wire';
import type { Dispatch } from '../ipc/handlers';
import { CONTENT_SECURITY_POLICY } from '../security';
import { readStaticFile } from '../static-files';

export interface HostOptions {
  dispatch: Dispatch;
  rendererDir: string;
  port?: number;
  token?: string;
  log?: (line: string) => void;
}

export interface RunningHost {
  url: string;
  origin: string;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/**
 * audit:verify carries anchors by value (a PDF report of a few findings is already about 1 MB, and
 * base64 adds a third): enough for one anchor at the contract's limit. Other channels stay small.
 */
const MAX_VERIFY_BODY = 100 * 1024 * 1024;

function bodyLimit(channel: string): number {
  return channel === 'audit:verify' ? MAX_VERIFY_BODY : MAX_BODY;
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error(`request body too large (more than ${limit / 2 ** 20} MiB)`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const root = resolve(opts.rendererDir);
  const log = opts.log ?? (() => {});

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      log(`host: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, 'internal error', 'text/plain');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { port } = server.address() as AddressInfo;
    if (req.headers.host !== `127.0.0.1:${port}`) return send(res, 421, 'this server answers only to 127.0.0.1', 'text/plain');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(res, 400, 'bad request', 'text/plain');
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'POST only', 'text/plain');
      const given = req.headers['x-candor-token'];
      if (!tokenMatches(typeof given === 'string' ? given : undefined, token)) return send(res, 403, 'bad token', 'text/plain');
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice('/api/'.length));
      } catch {
        return send(res, 400, encodeWire({ ok: false, error: { code: 'invalid-request', message: 'malformed percent-encoding in the channel name' } }), 'application/json');
      }
      let request: unknown;
      try {
        request = decodeWire(await readBody(req, bodyLimit(channel)));
      } catch (err) {
        const message = `invalid request body: ${err instanceof Error ? err.message : String(err)}`;
        return send(res, 400, encodeWire({ ok: false, error: { code: 'invalid-request', message } }), 'application/json');
      }
      const result = await opts.dispatch(channel, request);
      return send(res, 200, encodeWire(result), 'application/json');
    }
    if (req.method !== 'GET') return send(res, 405, 'GET only', 'text/plain');
    const file = await readStaticFile(root, url.pathname);
    send(res, file.status, file.body, file.type);
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: `${origin}/?token=${token}`,
    token,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
