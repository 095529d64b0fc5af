/**
 * How an integration reads a framework's request. Each framework package provides one;
 * everything else about requests lives here, once.
 */
export interface RequestAccessor<Req> {
  /**
   * A header's value (the first, when repeated: Node and web `Headers` join repeats with
   * `", "`, which is no value that was sent), or `undefined`. For `cookie`, every cookie
   * sent, as one `name=value; name=value` list. On Node, `nodeRequestHeader()` from
   * `@cohorly/server-kit/node` reads one so.
   */
  header(req: Req, name: string): string | undefined;
  /** The path with its query string, as received (`/checkout?step=2`). */
  url(req: Req): string | undefined;
  /** The client's IP address, as the framework resolves it (honouring `trust proxy`). */
  ip(req: Req): string | undefined;
}
