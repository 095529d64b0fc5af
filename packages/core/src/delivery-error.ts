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
  return new CohorlyError(`POST ${url} ${what} (${status})${detail}`, {
    code: options.code ?? outcomeCode(outcome),
    status: outcome.status,
    retryable: options.retryable,
    messages: options.messages,
    cause: outcome.error,
  });
}
