import type { MailService } from '@sendgrid/mail';
import type { EmailStore } from '../db/emails';
import type { SuppressionStore } from '../db/suppressions';
import { type CallbackOptions, createCallbackActivities } from './callbacks';
import { createRecordingActivities } from './recording';
import { createSendingActivities } from './sending';
import { createSuppressionActivities } from './suppression';

export interface ActivityDeps {
  emails: EmailStore;
  suppressions: SuppressionStore;
  sendgrid: MailService;
  callbacks: CallbackOptions;
}

/** The worker injects real clients; tests may inject their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSuppressionActivities(deps),
    ...createSendingActivities(deps),
    ...createRecordingActivities(deps),
    ...createCallbackActivities(deps.callbacks),
  };
}

export type Activities = ReturnType<typeof createActivities>;
