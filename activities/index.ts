import type { MailService } from '@sendgrid/mail';
import type { CampaignRecipientStore } from '../db/campaign-recipients';
import type { CampaignStore } from '../db/campaigns';
import type { CounterStore } from '../db/counters';
import type { EmailStore } from '../db/emails';
import type { SuppressionStore } from '../db/suppressions';
import { type CallbackOptions, createCallbackActivities } from './callbacks';
import { type CampaignDeps, createCampaignActivities } from './campaigns';
import { createRecordingActivities } from './recording';
import { createSendingActivities } from './sending';
import { createSuppressionActivities } from './suppression';

export interface ActivityDeps {
  emails: EmailStore;
  campaigns: CampaignStore;
  recipients: CampaignRecipientStore;
  counters: CounterStore;
  suppressions: SuppressionStore;
  sendgrid: MailService;
  callbacks: CallbackOptions;
  /** Campaigns start their emails' workflows through it. */
  temporal: CampaignDeps['temporal'];
}

/** The worker injects real clients; tests may inject their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSuppressionActivities(deps),
    ...createSendingActivities(deps),
    ...createRecordingActivities(deps),
    ...createCallbackActivities(deps.callbacks),
    ...createCampaignActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
