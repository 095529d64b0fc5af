/**
 * Sends the welcome email. Pretend: a real app calls its mail provider here, which takes a
 * while, hence the delay; the visitor never waits for it (it runs in after()).
 */
export async function sendWelcomeEmail(email: string): Promise<{ template: string }> {
  await new Promise((resolve) => setTimeout(resolve, 300, email));
  return { template: 'welcome-v2' };
}
