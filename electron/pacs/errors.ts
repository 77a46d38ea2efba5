/**
 * PACS failures in the house's taxonomy: a node that is down, slow or refuses us is
 * `unavailable`; a study that is not (or no longer) there is `not-found`; a bad node address or
 * query is `bad-input`. Each message names the node and says what happened.
 */
import { errorMessage, NotFoundError, UnavailableError, UserInputError } from '../../native-models/errors';

/** The node could not be reached, did not answer in time, or refused the request. */
export class PacsUnavailableError extends UnavailableError {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`PACS node ${node}: ${reason}`);
  }
}

export class PacsNotFoundError extends NotFoundError {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`PACS node ${node}: ${reason}`);
  }
}

export class PacsInputError extends UserInputError {}

/** One line for a socket-level failure (ECONNREFUSED and friends), as a person would say it. */
export function describeNetworkError(err: unknown, where: string): string {
  const code = networkCode(err);
  if (code === 'ECONNREFUSED') return `refused the connection: nothing listens on ${where}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `closed the connection unexpectedly (${where})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host of ${where} is unknown`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} cannot be reached from this machine`;
  if (code === 'ETIMEDOUT') return `did not answer on ${where} (connection timed out)`;
  const cause = (err as { cause?: unknown })?.cause;
  // fetch refuses some ports outright (the Fetch standard's "bad ports", e.g. 6000, 6666, 10080).
  if (cause && /bad port/i.test(errorMessage(cause))) return `${where}: this port is on the Fetch standard's list of blocked ports; the DICOMweb service must use another`;
  return `cannot be reached on ${where}: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`;
}

function networkCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  const m = /\b(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/.exec(errorMessage(err));
  return m ? m[1]! : null;
}
