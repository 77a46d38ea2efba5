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
import { CandorError, errorCode, errorMessage } from '../../native-models/errors';

export type ServiceTable = { [C in Channel]: (request: ParsedRequest<C>) => Promise<Response<C>> };

/**
 * The taxonomy's code for anything a service threw (see native-models/errors.ts). A request the
 * schema refused is `invalid-request`; an error outside the taxonomy is a bug: `internal`.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof z.ZodError) {
    const detail = err.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
    return { code: 'invalid-request', message: `invalid request: ${detail}` };
  }
  const code = errorCode(err);
  if (code === 'internal' && !(err instanceof CandorError)) return { code, message: `internal error: ${errorMessage(err)}` };
  return { code, message: errorMessage(err) };
}

/** Whether a failure is a bug (logged with its stack) rather than something the user can act on. */
export function isBug(error: ApiError): boolean {
  return error.code === 'internal';
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
    if (isBug(error)) log(`[${channel}] ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
    return { ok: false, error };
  }
}
