import { serve } from '@cohorly/test-support';

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusingUrl(): Promise<string> {
  const served = await serve(() => undefined);
  await served.close();
  return served.url;
}
