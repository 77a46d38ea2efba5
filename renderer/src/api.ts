/**
 * The renderer's only way to the main process: `window.candor` (Electron preload) or, in the
 * browser test host, the same contract over HTTP with the token from the page URL.
 */
import type { ApiError, CandorApi, Channel, Request, Response, Result } from '../../electron/api/contract';
import { decodeWire, encodeWire } from '../../electron/api/wire';
import { UiError } from './errors';

declare global {
  interface Window {
    candor?: CandorApi;
  }
}

function httpApi(token: string): CandorApi {
  return {
    async invoke(channel, request) {
      const res = await fetch(`./api/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-candor-token': token },
        body: encodeWire(request),
      });
      const text = await res.text();
      if (!res.ok && !text.startsWith('{')) {
        return { ok: false, error: { code: 'internal', message: `host answered ${res.status}: ${text}` } };
      }
      return decodeWire(text) as Result<never>;
    },
  };
}

function chooseApi(): CandorApi {
  if (window.candor) return window.candor;
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  return httpApi(token);
}

// Chosen on first use, so pure modules that import `call` also load outside a browser (unit tests).
let api: CandorApi | null = null;

/** A refusal or failure from the main process, with its taxonomy code. */
export class ApiFailure extends UiError {
  constructor(readonly error: ApiError) {
    super(error.code, error.message);
  }
}

/** Calls a channel and returns its value, or throws ApiFailure with the main process's message. */
export async function call<C extends Channel>(channel: C, request: Request<C>): Promise<Response<C>> {
  api ??= chooseApi();
  const result = await api.invoke(channel, request);
  if (!result.ok) throw new ApiFailure(result.error);
  return result.value;
}
