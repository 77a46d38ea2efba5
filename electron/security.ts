/**
 * The app's security rules as plain functions, so they are tested without Electron: the content
 * security policy (the Electron window and the test host send the same), the one origin the
 * renderer is served from (app://candor), which IPC senders are the app's own page, and the one
 * permission the page may use.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const APP_SCHEME = 'app';
export const APP_HOST = 'candor';
/** The page the window loads; the only sender IPC answers. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The sender's frame as IPC reports it (null when the frame is gone). */
export interface SenderFrame {
  url: string;
  isMainFrame: boolean;
}

/** True only for the app's own page, in the window's main frame: not a subframe, not another page, not any file:// URL. */
export function isAppSender(frame: SenderFrame | null | undefined): boolean {
  return !!frame && frame.isMainFrame && frame.url === APP_URL;
}

/** Whether a URL or origin is the app's own (app://candor). Parsed, not prefix-matched: app://candor.evil is not. */
export function isAppOrigin(urlOrOrigin: string): boolean {
  try {
    const u = new URL(urlOrOrigin);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** Writing to the clipboard (Copy of a hash in the audit view) is the one permission, and only for the app's page. */
export function allowPermission(permission: string, requestingUrl: string): boolean {
  return permission === 'clipboard-sanitized-write' && isAppOrigin(requestingUrl);
}
