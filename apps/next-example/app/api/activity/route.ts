import { trackServer } from '@cohorly/next';
import { after } from 'next/server';

interface ActivityBody {
  ref?: string;
}

/** One turn of the event loop: stands in for a database round trip. */
function roundTrip(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Records a visitor's activity in steps, awaiting between them as a handler that talks to a
 * database would. The last step is tracked after the response has been sent, from after():
 * every step still goes to the visitor of this request.
 */
export async function POST(request: Request) {
  const { ref = '' } = (await request.json().catch(() => ({}))) as ActivityBody;
  await trackServer('Activity Started', { ref });
  for (let hop = Math.floor(Math.random() * 4); hop > 0; hop -= 1) await roundTrip();
  await trackServer('Activity Continued', { ref });
  after(async () => {
    await roundTrip();
    await trackServer('Activity Finished', { ref });
  });
  return Response.json({ ref });
}
