import {
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { breakerVerdict } from './breaker';
import {
  type CampaignProgress,
  type CampaignRunState,
  type CampaignWorkflowInput,
  DEFAULT_TUNING,
  campaignQuery,
  cancelCampaignSignal,
  pauseCampaignSignal,
  resumeCampaignSignal,
} from './campaign-signals';
import { searchAttributes } from './search-attributes';

const { startCampaignEmails, campaignProgress, recordCampaign, cancelCampaignEmails } =
  proxyActivities<Activities>({
    startToCloseTimeout: '5 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });

/**
 * A blast: starts one email workflow per recipient, in batches, at the campaign's rate and no faster
 * than SendGrid takes them (at most `window` started and not yet sent), so pause and cancel still have
 * something to stop. Watches bounces and spam reports and pauses itself when they pass the breaker's
 * thresholds. Hands over to a fresh run every `turnsPerRun` turns, so no run's history grows large.
 */
export async function campaignWorkflow(input: CampaignWorkflowInput): Promise<CampaignRunState> {
  const tuning = { ...DEFAULT_TUNING, ...input.tuning };
  const { campaignId, total } = input;
  const progress: CampaignProgress = input.progress ?? {
    cursor: 0,
    started: 0,
    paused: false,
    pauseReason: null,
    cancelReason: null,
    breakerBaseline: { delivered: 0, bounced: 0, hardBounced: 0, spamReports: 0 },
  };
  let state: CampaignRunState = 'running';
  let resumed = false;

  setHandler(pauseCampaignSignal, ({ reason }) => {
    progress.paused = true;
    progress.pauseReason = reason ?? 'paused by request';
  });
  setHandler(resumeCampaignSignal, () => {
    progress.paused = false;
    progress.pauseReason = null;
    resumed = true;
  });
  setHandler(cancelCampaignSignal, ({ reason }) => {
    progress.cancelReason ??= reason ?? 'the campaign was canceled';
  });
  setHandler(campaignQuery, () => ({ ...progress, state, total }));

  const canceled = () => progress.cancelReason !== null;
  const record = async (next: CampaignRunState) => {
    state = next;
    upsertSearchAttributes([{ key: searchAttributes.status, value: next }]);
    setCurrentDetails(progress.pauseReason ? `**${next}**: ${progress.pauseReason}` : `**${next}**`);
    await recordCampaign(campaignId, {
      state: next,
      started: progress.started,
      pauseReason: progress.pauseReason,
    });
  };

  if (input.sendAt && !input.progress) {
    await record('scheduled');
    const wait = Date.parse(input.sendAt) - Date.now();
    if (wait > 0) await condition(canceled, wait);
  }

  // Releases at the campaign's rate, counted from when it (re)started so a pause leaves no burst behind.
  let rateFrom = { at: Date.now(), released: 0 };
  await record(progress.paused ? 'paused' : 'running');

  for (let turn = 0; !canceled(); turn++) {
    if (progress.paused) {
      await record('paused');
      log.info('campaign paused', { campaignId, reason: progress.pauseReason });
      await condition(() => !progress.paused || canceled());
      if (canceled()) break;
      rateFrom = { at: Date.now(), released: 0 };
      await record('running');
    }

    const counts = await campaignProgress(campaignId);
    if (resumed) {
      // A person looked at the numbers and said go on: judge only what happens from here.
      progress.breakerBaseline = {
        delivered: counts.delivered,
        bounced: counts.bounced,
        hardBounced: counts.hardBounced,
        spamReports: counts.spamReports,
      };
      resumed = false;
    }
    const trip = breakerVerdict(counts, progress.breakerBaseline, tuning.breaker);
    if (trip && !progress.paused) {
      progress.paused = true;
      progress.pauseReason = `circuit breaker: ${trip}`;
      continue;
    }

    // Emails past the send stage: with SendGrid, or stopped before it.
    const settled = counts.sent + counts.suppressed + counts.rejected + counts.failed + counts.canceled;
    if (progress.cursor >= total && settled >= progress.started) break;

    let release = Math.min(
      tuning.batchSize,
      total - progress.cursor,
      tuning.window - (progress.started - settled),
    );
    if (input.ratePerSecond) {
      const due =
        Math.floor((input.ratePerSecond * (Date.now() - rateFrom.at)) / 1000) + 1 - rateFrom.released;
      release = Math.min(release, due);
    }
    if (release > 0 && !progress.paused) {
      const started = await startCampaignEmails(campaignId, progress.cursor, release);
      progress.cursor += release;
      progress.started += started;
      rateFrom.released += release;
      await record('running');
    }

    if (turn + 1 >= tuning.turnsPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof campaignWorkflow>({ ...input, progress });
    }
    const fullTurn = release > 0 && release === tuning.batchSize && !input.ratePerSecond;
    if (!fullTurn)
      await condition(() => canceled() || progress.paused, nextLook(input.ratePerSecond, tuning.tickMs));
  }

  if (canceled()) {
    const reason = progress.cancelReason ?? 'the campaign was canceled';
    const result = await cancelCampaignEmails(campaignId, progress.cursor, reason);
    log.info('campaign canceled', { campaignId, ...result });
    await record('canceled');
    return 'canceled';
  }
  await record('completed');
  return 'completed';
}

/** With a rate, look again when the next email is due; without, after a tick. */
function nextLook(ratePerSecond: number | undefined, tickMs: number): number {
  return ratePerSecond ? Math.max(Math.min(Math.ceil(1000 / ratePerSecond), tickMs), 50) : tickMs;
}
