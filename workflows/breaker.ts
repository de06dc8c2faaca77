import type { CampaignProgress, BreakerThresholds } from './campaign-signals';

type Judged = CampaignProgress['breakerBaseline'];

/**
 * The reputation circuit breaker: why the campaign must stop, or null. Mailbox providers throttle a
 * sender whose hard bounces or spam complaints pass a few per cent (per mille for complaints), so a
 * campaign stops itself before that. Pure: the workflow decides with it on every look at progress.
 */
export function breakerVerdict(counts: Judged, baseline: Judged, limits: BreakerThresholds): string | null {
  // Soft (blocked) bounces are judged emails too: they reached a verdict, just not a hard one.
  const judged = counts.delivered + counts.bounced - (baseline.delivered + baseline.bounced);
  const hardBounced = counts.hardBounced - baseline.hardBounced;
  const spamReports = counts.spamReports - baseline.spamReports;
  if (judged < limits.minJudged) return null;
  const bounceRate = hardBounced / judged;
  if (bounceRate > limits.maxHardBounceRate) {
    return `hard-bounce rate ${percent(bounceRate)} over ${percent(limits.maxHardBounceRate)} (${hardBounced} of ${judged})`;
  }
  const spamRate = spamReports / judged;
  if (spamRate > limits.maxSpamReportRate) {
    return `spam-report rate ${percent(spamRate)} over ${percent(limits.maxSpamReportRate)} (${spamReports} of ${judged})`;
  }
  return null;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} %`;
}
