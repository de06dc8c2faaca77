import { defineQuery, defineSignal } from '@temporalio/workflow';

/** How a campaign paces itself. Defaults suit a 100k blast; tests shrink them. */
export interface CampaignTuning {
  /** Email workflows started per activity. */
  batchSize: number;
  /** At most this many started and not yet handed to SendGrid: what a pause or cancel can still stop. */
  window: number;
  /** How often it looks at progress (and the breaker) while waiting. */
  tickMs: number;
  /** Loop turns per run before continueAsNew, which keeps each run's history bounded. */
  turnsPerRun: number;
  breaker: BreakerThresholds;
}

export interface BreakerThresholds {
  /** Judged once this many emails have been delivered or bounced (since the last resume). */
  minJudged: number;
  maxHardBounceRate: number;
  maxSpamReportRate: number;
}

export const DEFAULT_TUNING: CampaignTuning = {
  batchSize: 500,
  window: 2000,
  tickMs: 1000,
  turnsPerRun: 100,
  breaker: { minJudged: 200, maxHardBounceRate: 0.05, maxSpamReportRate: 0.001 },
};

export type CampaignRunState = 'scheduled' | 'running' | 'paused' | 'canceled' | 'completed';

/** What one run hands the next through continueAsNew. */
export interface CampaignProgress {
  /** The next recipient position to start. */
  cursor: number;
  started: number;
  paused: boolean;
  pauseReason: string | null;
  cancelReason: string | null;
  /** Counts when last resumed: the breaker judges only what happened after a person said go on. */
  breakerBaseline: { delivered: number; bounced: number; hardBounced: number; spamReports: number };
}

export interface CampaignWorkflowInput {
  campaignId: string;
  total: number;
  sendAt?: string;
  ratePerSecond?: number;
  tuning?: Partial<CampaignTuning>;
  /** Set by continueAsNew. */
  progress?: CampaignProgress;
}

export interface CampaignView extends CampaignProgress {
  state: CampaignRunState;
  total: number;
}

export const pauseCampaignSignal = defineSignal<[{ reason?: string }]>('pause');
export const resumeCampaignSignal = defineSignal('resume');
export const cancelCampaignSignal = defineSignal<[{ reason?: string }]>('cancel');
export const campaignQuery = defineQuery<CampaignView>('campaign');
