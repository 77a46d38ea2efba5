/**
 * The one dispatch path for every API request, shared by Electron's ipcMain and the browser
 * test host: validate against the contract's schema, call the service, wrap the outcome.
 */
import { z } from 'zod';
import {
  channels,
  isChannel,
  type ApiError,
  type Channel,
  type ParsedRequest,
  type Response,
  type Result,
} from '../api/contract';

export type ServiceTable = { [C in Channel]: (request: ParsedRequest<C>) => Promise<Response<C>> };

/**
 * Each room reports bad input with its own Error subclass (ImagingError, BundleError,
 * AuditError, OnnxError…) whose message names the file and the problem; JavaScript's
 * built-in errors mean a bug instead.
 */
const BUILT_IN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);

function isUserFacing(err: Error): boolean {
  const name = err.constructor.name !== 'Error' ? err.constructor.name : err.name;
  return name.endsWith('Error') && !BUILT_IN_ERRORS.has(name);
}

export class InputError extends Error {
  override name = 'InputError';
}
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof z.ZodError) {
    const detail = err.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
    return { code: 'invalid-request', message: `invalid request: ${detail}` };
  }
  if (err instanceof Error) {
    if (err.name === 'NotFoundError') return { code: 'not-found', message: err.message };
    if (err.name === 'UnavailableError') return { code: 'unavailable', message: err.message };
    if (err.name === 'ExplainCancelled' || err.name === 'AbortError') return { code: 'cancelled', message: 'cancelled' };
    if (isUserFacing(err)) return { code: 'bad-input', message: err.message };
    return { code: 'internal', message: `internal error: ${err.message}` };
  }
  return { code: 'internal', message: `internal error: ${String(err)}` };
}

export type Dispatch = (channel: unknown, request: unknown) => Promise<Result<unknown>>;

export function createDispatch(services: ServiceTable, log: (line: string) => void = () => {}): Dispatch {
  return async (channel, request) => {
    if (!isChannel(channel)) {
      return { ok: false, error: { code: 'invalid-request', message: `unknown channel ${JSON.stringify(channel)}` } };
    }
    return dispatchTyped(services, channel, request, log);
  };
}

async function dispatchTyped<C extends Channel>(
  services: ServiceTable,
  channel: C,
  request: unknown,
  log: (line: string) => void,
): Promise<Result<Response<C>>> {
  try {
    const schema = channels[channel].request as unknown as z.ZodType<ParsedRequest<C>>;
    const parsed = schema.parse(request ?? {});
    const value = await services[channel](parsed);
    return { ok: true, value };
  } catch (err) {
    const error = toApiError(err);
    if (error.code === 'internal') log(`[${channel}] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { ok: false, error };
  }
}
