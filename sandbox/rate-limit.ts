/**
 * A provider's request cap on mail/send (SANDBOX_RATE_LIMIT): a token bucket holding one second's worth
 * of requests, refilled continuously. A request that finds no token is refused with SendGrid's 429, whose
 * X-RateLimit-Reset (unix seconds) says when the next one will be taken.
 */
export type RateDecision =
  { allowed: true; remaining: number } | { allowed: false; limit: number; resetAt: number };

export class RateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = perSecond;
    this.updatedAt = now;
  }

  take(now = Date.now()): RateDecision {
    const refill = (Math.max(0, now - this.updatedAt) / 1000) * this.perSecond;
    this.tokens = Math.min(this.perSecond, this.tokens + refill);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, remaining: Math.floor(this.tokens) };
    }
    const waitMs = ((1 - this.tokens) / this.perSecond) * 1000;
    return { allowed: false, limit: this.perSecond, resetAt: Math.ceil((now + waitMs) / 1000) };
  }
}
