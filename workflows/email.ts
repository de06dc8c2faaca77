import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { effectOf, suppressedOutcome, unconfirmedOutcome } from './delivery';
import { startOutcomeCallback } from './notify';
import {
  type DeliveryEvent,
  type EmailState,
  type EmailWorkflowInput,
  deliveryEventSignal,
  stateQuery,
} from './signals';
import type { Outcome } from './status';

/** Error types the send activity throws for answers that retrying cannot change. */
export const NON_RETRYABLE_SEND_ERRORS = ['ProviderRejectedError', 'EmailNotFoundError'];
export const SEND_MAX_ATTEMPTS = 5;

const { checkSuppression, recordStatus, recordOutcome } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: SEND_MAX_ATTEMPTS,
    nonRetryableErrorTypes: NON_RETRYABLE_SEND_ERRORS,
  },
});

/**
 * One email, from the suppression check to its final outcome.
 * Webhook events arrive as signals at any time, even before the send returns; they are buffered and
 * applied in arrival order once the email is with SendGrid.
 */
export async function emailWorkflow(input: EmailWorkflowInput): Promise<Outcome> {
  const state: EmailState = { status: 'queued', outcome: null, eventsSeen: 0 };
  const pending: DeliveryEvent[] = [];
  const seen = new Set<string>();

  setHandler(deliveryEventSignal, (event) => {
    if (seen.has(event.key)) return;
    seen.add(event.key);
    state.eventsSeen++;
    pending.push(event);
  });
  setHandler(stateQuery, () => state);

  const finish = async (outcome: Outcome): Promise<Outcome> => {
    await recordOutcome(input.emailId, outcome);
    state.status = outcome.result;
    state.outcome = outcome;
    log.info('email finished', { emailId: input.emailId, result: outcome.result });
    if (input.callback) await startOutcomeCallback(input.emailId, input.callback, outcome);
    return outcome;
  };

  const suppression = await checkSuppression(input.to, input.asmGroupId);
  if (suppression) return finish(suppressedOutcome(suppression, now()));

  state.status = 'sending';
  try {
    await sendEmail(input.emailId);
  } catch (err) {
    return finish(sendFailureOutcome(err));
  }
  state.status = 'sent';

  const deadline = Date.now() + input.deliveryTimeoutMs;
  for (;;) {
    const arrived = await condition(() => pending.length > 0, Math.max(deadline - Date.now(), 1));
    if (!arrived) return finish(unconfirmedOutcome(input.deliveryTimeoutMs, now()));

    for (const event of pending.splice(0)) {
      const effect = effectOf(event);
      if (effect.kind === 'final') return finish(effect.outcome);
      if (effect.kind === 'deferred' && state.status !== 'deferred') {
        state.status = 'deferred';
        await recordStatus(input.emailId, 'deferred');
      }
    }
  }
}

function sendFailureOutcome(err: unknown): Outcome {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const failure = cause instanceof ApplicationFailure ? cause : undefined;
  const provider = (failure?.details?.[0] ?? {}) as Record<string, unknown>;
  if (failure?.type === 'ProviderRejectedError') {
    return {
      result: 'rejected',
      reason: `SendGrid refused the request: ${failure.message}`,
      detail: provider,
      at: now(),
    };
  }
  return {
    result: 'failed',
    reason: `Could not hand the email to SendGrid: ${failure?.message ?? String(cause)}`,
    detail: { ...provider, errorType: failure?.type ?? null },
    at: now(),
  };
}

/** Workflow time, deterministic on replay. */
function now(): string {
  return new Date(Date.now()).toISOString();
}
