import { cookies } from 'next/headers';

/** The cookie this example's pretend sign-in sets. A real app asks its auth library. */
export const SESSION_COOKIE = 'example_session_user';

/** The signed-in user's id, or undefined for an anonymous visitor. */
export async function currentUserId(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value;
}
