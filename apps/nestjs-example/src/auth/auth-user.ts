/** The signed-in user, as `BearerAuthGuard` attaches it to the request. */
export interface AuthUser {
  id: string;
}

// Lets Cohorly's callbacks (`identify`, `@Track`'s `properties`) read `req.user` typed.
declare module '@cohorly/nestjs' {
  interface CohorlyRequest {
    user?: AuthUser;
  }
}
