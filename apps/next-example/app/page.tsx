import Link from 'next/link';

export default function Home() {
  return (
    <main>
      <h1>Cohorly + Next.js</h1>
      <ul>
        <li>
          <Link href="/signup">Sign up</Link> (a server action that tracks, then redirects)
        </li>
        <li>
          <Link href="/pricing">Pricing</Link> (a server component that tracks a page view)
        </li>
        <li>
          <code>POST /api/orders</code> (a route handler that tracks one event per item)
        </li>
        <li>
          <code>GET /api/edge</code> (an edge route)
        </li>
      </ul>
    </main>
  );
}
