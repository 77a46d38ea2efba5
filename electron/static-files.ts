/**
 * Serving the built renderer's files by URL path, for the app:// protocol (Electron) and the
 * browser test host: only files inside the renderer folder, whatever the path says. The path is
 * decoded once; a bad escape is refused (400), and so is anything that could step outside or
 * mean another file on another system: `..`, a backslash, a colon (drive letters), NUL.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

export const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export type Resolved = { ok: true; file: string } | { ok: false; status: 400 | 404; reason: string };

function inside(root: string, file: string): boolean {
  return file.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The file a URL path (still percent-encoded, as in the request line) names inside `root`, or why not. */
export function resolveStaticPath(root: string, encodedPath: string): Resolved {
  let path: string;
  try {
    path = decodeURIComponent(encodedPath);
  } catch {
    return { ok: false, status: 400, reason: 'malformed percent-encoding in the path' };
  }
  if (/[\\:\0]/.test(path)) return { ok: false, status: 404, reason: 'backslash, colon or NUL in the path' };
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, status: 404, reason: 'a ".." segment in the path' };
  const base = resolve(root);
  const file = resolve(base, ...(segments.length ? segments : ['index.html']));
  if (!inside(base, file)) return { ok: false, status: 404, reason: 'outside the served folder' };
  return { ok: true, file };
}

export interface StaticAnswer {
  status: 200 | 400 | 404;
  body: Buffer | string;
  type: string;
}

/** Reads what resolveStaticPath allows; a link inside the folder that leads out of it is not followed. */
export async function readStaticFile(root: string, encodedPath: string): Promise<StaticAnswer> {
  const r = resolveStaticPath(root, encodedPath);
  if (!r.ok) return { status: r.status, body: r.status === 400 ? 'bad request' : 'not found', type: 'text/plain; charset=utf-8' };
  try {
    const st = await stat(r.file);
    if (!st.isFile()) return { status: 404, body: 'not found', type: 'text/plain; charset=utf-8' };
    // realpath may be unavailable inside an asar archive (Electron); the lexical check above still holds there.
    const [realRoot, realFile] = await Promise.all([realpath(resolve(root)).catch(() => resolve(root)), realpath(r.file).catch(() => r.file)]);
    if (!inside(realRoot, realFile)) return { status: 404, body: 'not found', type: 'text/plain; charset=utf-8' };
    return { status: 200, body: await readFile(r.file), type: MIME[extname(r.file)] ?? 'application/octet-stream' };
  } catch {
    return { status: 404, body: 'not found', type: 'text/plain; charset=utf-8' };
  }
}
