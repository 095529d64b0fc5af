import { setTimeout as delay } from 'node:timers/promises';
import type { Request, Response } from 'express';

/**
 * `GET /orders/export?rows=N`: streams a CSV report row by row, as a slow database cursor
 * would. The export is tracked when it starts, and again when it completes or when the
 * client gives up (that second event is tracked after the response closed, and is still
 * delivered).
 */
export function orderExport(rowDelayMs: number) {
  return async (req: Request, res: Response): Promise<void> => {
    const rows = Math.min(Math.max(Number(req.query.rows) || 100, 1), 10_000);
    void req.cohorly.track('Orders Export Started', { rows });
    let aborted = false;
    res.once('close', () => {
      aborted = !res.writableFinished;
    });
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
    res.write('row,order_id,total\n');
    let sent = 0;
    while (sent < rows && !aborted) {
      await delay(rowDelayMs);
      if (aborted) break;
      sent += 1;
      res.write(`${sent},o_${sent.toString(16).padStart(8, '0')},${(sent * 7) % 100}.00\n`);
    }
    if (aborted) {
      void req.cohorly.track('Orders Export Aborted', { rows, rowsSent: sent });
      return;
    }
    res.end();
    void req.cohorly.track('Orders Export Completed', { rows });
  };
}
