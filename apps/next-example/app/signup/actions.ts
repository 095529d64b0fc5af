'use server';

import { trackServer } from '@cohorly/next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { after } from 'next/server';
import { SESSION_COOKIE } from '../../lib/current-user';
import { sendWelcomeEmail } from '../../lib/welcome-email';

/** Signs the visitor up (pretend), tracks it, and sends them on: a redirect after tracking. */
export async function signUp(formData: FormData) {
  const email = String(formData.get('email') ?? '').trim();
  const plan = formData.get('plan') === 'pro' ? 'pro' : 'free';
  if (!email) redirect('/signup?error=email');
  (await cookies()).set(SESSION_COOKIE, email, { httpOnly: true, sameSite: 'lax' });
  // Queued now, delivered after the response: the redirect does not wait for Cohorly.
  await trackServer('Signed Up', { plan }, { distinctId: email });
  // Slow work after the response can track too: the signed-in user (the session cookie set
  // above) is found by getDistinctId, and this event gets a delivery of its own.
  after(async () => {
    const { template } = await sendWelcomeEmail(email);
    await trackServer('Welcome Email Sent', { template });
  });
  // redirect() throws Next.js's control-flow error; trackServer never gets in its way.
  redirect('/welcome');
}
