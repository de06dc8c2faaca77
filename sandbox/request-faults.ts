import { behaviourOf } from './scenarios';

export type RequestFault =
  { kind: 'reject'; address: string } | { kind: 'throttle'; resetAt: number } | { kind: 'error' };

/** How many failures an address gets before mail/send accepts it: enough for a client's retry to be seen. */
const ERRORS_BEFORE_SUCCESS = 2;
const THROTTLES_BEFORE_SUCCESS = 1;

/**
 * Decides whether a mail/send request fails before being accepted. Counts are kept per full lowercased
 * address, so each test isolates itself with error+<unique>@example.com and sees the same sequence.
 */
export class RequestFaults {
  private readonly seen = new Map<string, number>();

  check(addresses: string[], now = Date.now()): RequestFault | undefined {
    const rejected = addresses.find((address) => behaviourOf(address) === 'reject');
    if (rejected) return { kind: 'reject', address: rejected };
    if (this.count(addresses, 'throttle') <= THROTTLES_BEFORE_SUCCESS) {
      return { kind: 'throttle', resetAt: Math.floor(now / 1000) + 1 };
    }
    if (this.count(addresses, 'error') <= ERRORS_BEFORE_SUCCESS) return { kind: 'error' };
    return undefined;
  }

  /** Bumps every address with that behaviour and returns the lowest count, or Infinity if none has it. */
  private count(addresses: string[], behaviour: 'throttle' | 'error'): number {
    let lowest = Infinity;
    for (const address of new Set(addresses.map((a) => a.toLowerCase()))) {
      if (behaviourOf(address) !== behaviour) continue;
      const count = (this.seen.get(address) ?? 0) + 1;
      this.seen.set(address, count);
      lowest = Math.min(lowest, count);
    }
    return lowest;
  }
}
