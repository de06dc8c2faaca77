import { buildEvent, type Delivery, type Step, type WebhookEvent } from './events';

/**
 * Plays recipients' timelines on real timers: each step `stepMs` after the previous one, so event
 * timestamps advance the way they would at SendGrid, only faster.
 */
export class Timeline {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly stepMs: number,
    private readonly emit: (event: WebhookEvent) => void,
  ) {}

  play(delivery: Delivery, steps: Step[]): void {
    steps.forEach((step, i) => {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          this.emit(buildEvent(delivery, step));
        },
        this.stepMs * (i + 1),
      );
      this.timers.add(timer);
    });
  }

  /** Cancels every step not yet played. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
