const marker = Symbol.for('cohorly.error');

/** What went wrong, in a form a program can branch on. */
export type CohorlyErrorCode =
  /**
   * The server answered with a status that is retried (429, 5xx): `BufferedConsumer` keeps
   * the messages and retries after the backoff (`retryable`); `Consumer` rejects with it once
   * its retries ran out.
   */
  | 'server_error'
  /** The request failed before an answer: connection refused or reset, DNS, TLS. */
  | 'network_error'
  /** No answer within `requestTimeoutMs`, or the request was aborted by `close()`. */
  | 'timeout'
  /**
   * The server rejected the token (401): `BufferedConsumer` keeps the messages and retries
   * after 600 s; `Consumer` rejects at once.
   */
  | 'unauthorized'
  /** The server permanently rejected a batch (400 or another 4xx); the batch was dropped. */
  | 'rejected'
  /** One message is larger than the server accepts (413); it was dropped. */
  | 'oversized'
  /** The buffer was full and the oldest messages were dropped. */
  | 'overflow';

/** Options of {@link CohorlyError}. */
export interface CohorlyErrorOptions {
  /** Machine-readable reason. */
  code: CohorlyErrorCode;
  /** HTTP status of the answer; `undefined` for network errors and timeouts. */
  status?: number | undefined;
  /** Whether the same message may still be delivered by trying again. @default false */
  retryable?: boolean;
  /** How many messages this error concerns (dropped, or still queued). @default 0 */
  messages?: number;
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/**
 * The one error type of every Cohorly package. Recognise it with
 * {@link CohorlyError.isInstance}, which works across duplicate installs of the package.
 */
export class CohorlyError extends Error {
  /** Machine-readable reason. */
  readonly code: CohorlyErrorCode;
  /** HTTP status of the answer; `undefined` for network errors and timeouts. */
  readonly status: number | undefined;
  /** Whether the message(s) may still be delivered by trying again. */
  readonly retryable: boolean;
  /** How many messages this error concerns (dropped, or still queued). */
  readonly messages: number;
  constructor(message: string, options: CohorlyErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CohorlyError';
    this.code = options.code;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.messages = options.messages ?? 0;
    // A symbol shared through the global registry, so two copies of the package agree.
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for any `CohorlyError`, even one created by another copy of this package. */
  static isInstance(value: unknown): value is CohorlyError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
