import { trackServer } from '@cohorly/next';

// The edge runtime: nothing on @cohorly/next's path needs Node.js.
export const runtime = 'edge';

export async function GET(request: Request) {
  const from = new URL(request.url).searchParams.get('from') ?? 'unknown';
  await trackServer('Edge Pinged', { from });
  return Response.json({ ok: true, runtime: 'edge' });
}
