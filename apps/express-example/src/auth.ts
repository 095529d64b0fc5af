import { parse as parseCookies } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import type { Accounts } from './accounts.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'sid';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user, set by {@link authenticate}. */
      user?: { id: string };
    }
  }
}

/**
 * Sets `req.user` from `Authorization: Bearer <user id>` (an API client; stands in for a
 * verified token) or from the `sid` session cookie. It runs after `cohorly()`: the tracker
 * asks for `req.user` only when an event is tracked, so it still sees the user.
 */
export function authenticate(accounts: Accounts) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const sessionId = sessionIdOf(req);
    const userId = bearer ?? (sessionId ? accounts.sessionUser(sessionId) : undefined);
    req.user = userId ? { id: userId } : undefined;
    next();
  };
}

/** The session id the request's cookie carries, if any. */
export function sessionIdOf(req: Request): string | undefined {
  return parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE] || undefined;
}

/** Answers 401 unless the request is signed in. */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (req.user) next();
  else res.status(401).json({ error: 'sign in first' });
}
