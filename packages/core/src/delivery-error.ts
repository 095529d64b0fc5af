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

// A server may echo the payload in its error answer; project tokens must not reach logs.
const TOKEN_FIELD = /("token"\s*:\s*")[^"]*(")/g;

/** The server's answer, safe to log: token values are masked. */
export function redactTokens(body: string): string {
  return body.replace(TOKEN_FIELD, '$1<redacted>$2');
}

/** A `CohorlyError` for a failed POST to `url`, quoting the server's answer. */
export function deliveryError(
  url: string,
  outcome: HttpOutcome,
  what: string,
  options: { retryable: boolean; messages: number; code?: CohorlyErrorCode },
): CohorlyError {
  const status = outcome.status === undefined ? 'no answer' : `status ${outcome.status}`;
  const detail = outcome.body ? `: ${redactTokens(outcome.body)}` : '';
  return new CohorlyError(`POST ${url} ${what} (${status})${detail}`, {
    code: options.code ?? outcomeCode(outcome),
    status: outcome.status,
    retryable: options.retryable,
    messages: options.messages,
    cause: outcome.error,
  });
}
