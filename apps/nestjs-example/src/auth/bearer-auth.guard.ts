import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthUser } from './auth-user.js';

/**
 * Signs the request in from `Authorization: Bearer <user-id>` (a stand-in for a real token
 * check) and refuses requests without one.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: AuthUser }>();
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1]) throw new UnauthorizedException('sign in first');
    req.user = { id: match[1] };
    return true;
  }
}
