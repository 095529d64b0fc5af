import { CohorlyError, type CohorlyErrorCode } from './errors.js';
import type { HttpOutcome } from './transport.js';

/** The error code that describes a failed POST. */
export function outcomeCode(outcome: HttpOutcome): CohorlyErrorCode {
  if (outcome.status === undefined) return outcome.timedOut ? 'timeout' : 'network_error';
  if (outcome.status === 401) return 'unauthorized';
  if (outcome.status === 413) return 'oversized';
  if (outcome.status === 429 || outcome.status >= 500) return 'server_error';
  return 'rejected';
}

/** A `CohorlyError` for a failed POST to `url`, quoting the server's answer. */
export function deliveryError(
  url: string,
  outcome: HttpOutcome,
  what: string,
  options: { retryable: boolean; messages: number; code?: CohorlyErrorCode },
): CohorlyError {
  const status = outcome.status === undefined ? 'no answer' : `status ${outcome.status}`;
  // The transport has already masked every token in the answer (redact-tokens.ts).
  const detail = outcome.body ? `: ${outcome.body}` : '';
  // A redirect is never followed (transport.ts): the fix is an apiHost that needs none.
  const redirect =
    outcome.status !== undefined && outcome.status >= 300 && outcome.status < 400
      ? `; the server redirects to ${outcome.location ?? 'an address it did not give'}, and Cohorly does not follow redirects: set apiHost to the address it should POST to`
      : '';
  return new CohorlyError(`POST ${url} ${what} (${status})${detail}${redirect}`, {
    code: options.code ?? outcomeCode(outcome),
    status: outcome.status,
    retryable: options.retryable,
    messages: options.messages,
    cause: outcome.error,
  });
}
