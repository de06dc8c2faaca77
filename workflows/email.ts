import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { effectOf, suppressedOutcome, unconfirmedOutcome } from './delivery';
import { startOutcomeCallback } from './notify';
import { searchAttributes } from './search-attributes';
import { sendTaskQueueOf } from './task-queues';
import {
  type DeliveryEvent,
  type EmailState,
  type EmailWorkflowInput,
  cancelSignal,
  cancelUpdate,
  deliveryEventSignal,
  stateQuery,
} from './signals';
import type { EmailStatus, Outcome } from './status';

/** Error types the send activity throws for answers that retrying cannot change. */
export const NON_RETRYABLE_SEND_ERRORS = ['ProviderRejectedError', 'EmailNotFoundError'];
export const SEND_MAX_ATTEMPTS = 5;

const DATABASE_ACTIVITY = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
/**
 * The database steps run as local activities: inside the workflow task that needs them, with no
 * activity task on the server (3 workflow tasks and 1 activity task per email instead of 5 and 3).
 * Workflows started before that keep the activity tasks they recorded.
 */
const localDatabase = proxyLocalActivities<Activities>(DATABASE_ACTIVITY);
const remoteDatabase = proxyActivities<Activities>(DATABASE_ACTIVITY);

/**
 * On its own task queue, whose workers share one send rate (SEND_RATE_LIMIT). Canceling waits for an
 * attempt already running: once the request is with SendGrid, the email is sent and is tracked.
 */
const sendActivities = () =>
  proxyActivities<Activities>({
    taskQueue: sendTaskQueueOf(workflowInfo().taskQueue),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // Room for a slow database around the one HTTP call (20 s at most); the activity refuses to send
    // when too little of it is left, so a retry never overlaps a send still in flight.
    startToCloseTimeout: '2 minutes',
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
  const state: EmailState = { status: input.sendAt ? 'scheduled' : 'queued', outcome: null, eventsSeen: 0 };
  const pending: DeliveryEvent[] = [];
  const seen = new Set<string>();
  // Workflows started before the status search attribute existed replay without its upserts.
  const searchable = patched('status-search-attribute');
  const { checkSuppression, recordStatus, recordOutcome } = patched('local-database-activities')
    ? localDatabase
    : remoteDatabase;
  const setStatus = (status: EmailStatus) => {
    state.status = status;
    if (searchable) upsertSearchAttributes([{ key: searchAttributes.status, value: status }]);
  };

  let cancelReason: string | null = null;
  let sendScope: CancellationScope | undefined;
  const requestCancel = ({ reason }: { reason: string }) => {
    cancelReason ??= reason;
    sendScope?.cancel();
  };
  setHandler(cancelSignal, requestCancel);
  setHandler(
    cancelUpdate,
    async (request) => {
      requestCancel(request);
      await condition(() => !UNSENT.includes(state.status));
      return state.status === 'canceled';
    },
    {
      validator: (_request) => {
        if (!UNSENT.includes(state.status)) throw new Error(`the email is already ${state.status}`);
      },
    },
  );

  setHandler(deliveryEventSignal, (event) => {
    if (seen.has(event.key)) return;
    seen.add(event.key);
    state.eventsSeen++;
    pending.push(event);
  });
  setHandler(stateQuery, () => state);

  const finish = async (outcome: Outcome): Promise<Outcome> => {
    await recordOutcome(input.emailId, outcome);
    state.outcome = outcome;
    setStatus(outcome.result);
    log.info('email finished', { emailId: input.emailId, result: outcome.result });
    if (input.callback) await startOutcomeCallback(input.emailId, input.callback, outcome);
    return outcome;
  };

  if (input.sendAt) {
    if (searchable) setStatus('scheduled');
    const wait = Date.parse(input.sendAt) - Date.now();
    if (wait > 0) await condition(() => cancelReason !== null, wait);
    if (cancelReason === null) {
      setStatus('queued');
      await recordStatus(input.emailId, 'queued');
    }
  }
  if (cancelReason !== null) return finish(canceledOutcome(cancelReason));

  const suppression = await checkSuppression(input.to, input.asmGroupId);
  if (suppression) return finish(suppressedOutcome(suppression, now()));
  if (cancelReason !== null) return finish(canceledOutcome(cancelReason));

  setStatus('sending');
  try {
    await CancellationScope.cancellable(() => {
      sendScope = CancellationScope.current();
      return sendActivities().sendEmail(input.emailId);
    });
  } catch (err) {
    if (isCancellation(err)) return finish(canceledOutcome(cancelReason ?? 'canceled'));
    return finish(sendFailureOutcome(err));
  }
  sendScope = undefined;
  setStatus('sent');

  const deadline = Date.now() + input.deliveryTimeoutMs;
  for (;;) {
    const arrived = await condition(() => pending.length > 0, Math.max(deadline - Date.now(), 1));
    if (!arrived) return finish(unconfirmedOutcome(input.deliveryTimeoutMs, now()));

    for (const event of pending.splice(0)) {
      const effect = effectOf(event);
      if (effect.kind === 'final') return finish(effect.outcome);
      if (effect.kind === 'deferred' && state.status !== 'deferred') {
        setStatus('deferred');
        await recordStatus(input.emailId, 'deferred');
      }
    }
  }
}

/** Statuses in which an email can still be stopped: it has not reached SendGrid. */
const UNSENT: EmailStatus[] = ['scheduled', 'queued', 'sending'];

function canceledOutcome(reason: string): Outcome {
  return { result: 'canceled', reason: `Canceled before it was sent: ${reason}`, detail: {}, at: now() };
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
