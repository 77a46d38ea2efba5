/**
 * The app:// protocol's answers: the renderer's files from its dist folder under one fixed origin
 * (app://candor), with the app's content security policy. Electron-free, so main.ts only wraps it
 * in protocol.handle and tests call it directly.
 */
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY } from './security';
import { readStaticFile } from './static-files';

export interface ProtocolAnswer {
  status: number;
  body: Uint8Array | string;
  headers: Record<string, string>;
}

function answer(status: number, body: Uint8Array | string, type: string): ProtocolAnswer {
  return {
    status,
    body,
    headers: { 'content-type': type, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' },
  };
}

export async function answerAppRequest(rendererDir: string, request: { url: string; method: string }): Promise<ProtocolAnswer> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return answer(400, 'bad request', 'text/plain; charset=utf-8');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return answer(404, 'not found', 'text/plain; charset=utf-8');
  if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'GET only', 'text/plain; charset=utf-8');
  const file = await readStaticFile(rendererDir, url.pathname);
  return answer(file.status, request.method === 'HEAD' ? '' : file.body, file.type);
}
