import type { RecordedRequest } from '@cohorly/testing';

/** A uuid4 as 32 lowercase hex characters: version 4, variant 10xx. */
export const UUID4_HEX = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/;

/** The imported event's `time` in fixtures/scenarios.mjs and fixtures/worker.js. */
const IMPORTED_AT = '1700000000123';

/**
 * A request's body with what differs from run to run masked: each stamped `time` and
 * `$insert_id` (the imported event's given `time` is kept), so that two runtimes' requests for
 * the same calls compare byte for byte.
 */
export function normalizedBody(request: RecordedRequest): string {
  return request.body.replace(/"time":(\d+),"\$insert_id":"[0-9a-f]{32}"/g, (_all, time) =>
    time === IMPORTED_AT ? `"time":${IMPORTED_AT},"$insert_id":I` : '"time":T,"$insert_id":I',
  );
}
