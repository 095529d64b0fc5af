import { trackServer } from '@cohorly/next';

export default async function PricingPage() {
  // Reading the visitor's id makes this page dynamic (rendered per visit, not at build):
  // trackServer lets Next.js's own "this page is dynamic" signal through.
  await trackServer('Pricing Viewed', { page: 'pricing' });
  return (
    <main>
      <h1>Pricing</h1>
      <p>Free or Pro.</p>
    </main>
  );
}
