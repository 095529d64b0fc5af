import { randomBytes, randomUUID } from 'node:crypto';

/** A signed-up user. */
export interface User {
  id: string;
  email: string;
  plan: 'free' | 'pro';
}

/**
 * Users and login sessions, in memory: this is a demo shop, not a database. A real app keeps
 * them in its database and session store; nothing about Cohorly changes.
 */
export class Accounts {
  private readonly users = new Map<string, User>();
  private readonly byEmail = new Map<string, User>();
  private readonly sessions = new Map<string, string>();

  /** Creates a user; `undefined` when the email is taken. */
  signUp(email: string, plan: User['plan']): User | undefined {
    if (this.byEmail.has(email)) return undefined;
    const user: User = { id: `u_${randomUUID().replaceAll('-', '').slice(0, 12)}`, email, plan };
    this.users.set(user.id, user);
    this.byEmail.set(email, user);
    return user;
  }

  /** The user with this email, if any. */
  findByEmail(email: string): User | undefined {
    return this.byEmail.get(email);
  }

  /** Opens a session for `userId`; returns its id (the `sid` cookie). */
  openSession(userId: string): string {
    const sessionId = randomBytes(18).toString('base64url');
    this.sessions.set(sessionId, userId);
    return sessionId;
  }

  /** The user id of a session, if it is open. */
  sessionUser(sessionId: string): string | undefined {
    return this.sessions.get(sessionId);
  }

  /** Closes a session. */
  closeSession(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
