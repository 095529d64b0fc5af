import { CohorlyService } from '@cohorly/nestjs';
import { BadRequestException, Body, Controller, Post } from '@nestjs/common';
import type { AppEvents } from '../projects/projects.service.js';

/** Body of `POST /signup`. */
interface SignupBody {
  userId?: string;
  referrer?: string;
}

/** Sign-up: the visitor was anonymous (the front end's anonymous id) until now. */
@Controller()
export class AccountController {
  constructor(private readonly cohorly: CohorlyService<AppEvents>) {}

  @Post('signup')
  async signup(@Body() body: SignupBody): Promise<{ userId: string }> {
    if (!body.userId) throw new BadRequestException('userId is required');
    // The anonymous id the request came with, before this request becomes the new user's.
    const anonymousId = this.cohorly.distinctId;
    this.cohorly.identify(body.userId);
    if (anonymousId) void this.cohorly.alias(body.userId, anonymousId);
    void this.cohorly.peopleSet({ plan: 'free' });
    void this.cohorly.peopleSetOnce({ referrer: body.referrer ?? null });
    void this.cohorly.track('Signed Up', { referrer: body.referrer ?? null });
    return { userId: body.userId };
  }
}
