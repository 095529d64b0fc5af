import { type CohorlyMiddleware, getRequestCohorly } from '@cohorly/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Accounts } from './accounts.js';
import { authenticate, requireUser, SESSION_COOKIE, sessionIdOf } from './auth.js';
import { CATALOG } from './catalog.js';
import { type CartItem, cartProblem, placeOrder } from './checkout.js';
import { orderExport } from './order-export.js';

/** What the app needs from outside: Cohorly's middleware, and its own settings. */
export interface AppOptions {
  /**
   * Cohorly's middleware (`createAnalytics()`). Only `bench/` leaves it out, to measure the
   * catalog route with and without Cohorly; the other routes expect `req.cohorly`.
   */
  analytics: CohorlyMiddleware | undefined;
  exportRowDelayMs: number;
}

const PLANS = new Set(['free', 'pro']);
const SESSION_COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/' } as const;

/** The shop: sign-up, login, checkout and an order export, instrumented with Cohorly. */
export function createApp({ analytics, exportRowDelayMs }: AppOptions): express.Express {
  const accounts = new Accounts();
  const app = express();
  app.disable('x-powered-by');

  // First, so that every later middleware and handler has req.cohorly.
  if (analytics) app.use(analytics);
  app.use(express.json());
  app.use(authenticate(accounts));

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/products', (_req, res) => {
    // Through getRequestCohorly(), which is undefined outside a Cohorly request: the route
    // also serves bench/'s baseline, the shop without Cohorly.
    void getRequestCohorly()?.track('Products Viewed', { count: CATALOG.length });
    res.json(CATALOG);
  });

  app.post('/signup', async (req, res) => {
    const { email, plan = 'free' } = req.body ?? {};
    if (typeof email !== 'string' || !email.includes('@') || !PLANS.has(plan)) {
      res.status(400).json({ error: 'send { email, plan?: "free" | "pro" }' });
      return;
    }
    const user = accounts.signUp(email, plan);
    if (!user) {
      res.status(409).json({ error: 'this email already has an account' });
      return;
    }
    // Before sign-up the visitor was anonymous (x-cohorly-anonymous-id, or the cookie):
    // link that id to the new account so the visitor's earlier events join the user's. Only
    // an anonymous visitor: a signed-in user's id is their account, and linking a second
    // account to it would merge two people.
    if (!req.user && req.cohorly.distinctId) void req.cohorly.alias(user.id);
    req.cohorly.identify(user.id);
    void req.cohorly.track('Signed Up', { plan });
    void req.cohorly.peopleSet({ $email: email, plan });
    res.cookie(SESSION_COOKIE, accounts.openSession(user.id), SESSION_COOKIE_OPTIONS);
    res.status(201).json({ userId: user.id });
  });

  app.post('/login', (req, res) => {
    const user = accounts.findByEmail(String(req.body?.email ?? ''));
    if (!user) {
      void req.cohorly.track('Login Failed', { reason: 'unknown email' });
      res.status(401).json({ error: 'unknown email' });
      return;
    }
    req.cohorly.identify(user.id);
    void req.cohorly.track('Logged In', { plan: user.plan });
    void req.cohorly.peopleIncrement({ logins: 1 });
    res.cookie(SESSION_COOKIE, accounts.openSession(user.id), SESSION_COOKIE_OPTIONS);
    res.json({ userId: user.id });
  });

  app.post('/logout', requireUser, (req, res) => {
    const sessionId = sessionIdOf(req);
    if (sessionId) accounts.closeSession(sessionId);
    void req.cohorly.track('Logged Out');
    res.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS).status(204).end();
  });

  app.post('/checkout', requireUser, async (req, res) => {
    const problem = cartProblem(req.body?.items);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    const order = await placeOrder(req.body.items as CartItem[]);
    res.status(201).json(order);
  });

  app.get('/orders/export', requireUser, orderExport(exportRowDelayMs));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Four arguments: Express's error handler (a malformed JSON body lands here too).
  app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) console.error(error);
    res.status(status).json({ error: status === 500 ? 'internal error' : 'bad request' });
  });
  return app;
}
