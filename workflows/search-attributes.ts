import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * What ops search by in the Temporal UI, e.g. `MailroomCampaignId = "cmp_…" AND MailroomStatus = "bounced"`.
 * Registered by `npm start`, the tests and docker-compose (deploy/temporal/register-search-attributes.sh).
 * The recipient's address is optional (RECIPIENT_IN_TEMPORAL) for deployments that keep addresses out
 * of Temporal; its domain is always set.
 */
export const searchAttributes = {
  emailId: defineSearchAttributeKey('MailroomEmailId', 'KEYWORD'),
  status: defineSearchAttributeKey('MailroomStatus', 'KEYWORD'),
  campaignId: defineSearchAttributeKey('MailroomCampaignId', 'KEYWORD'),
  recipientDomain: defineSearchAttributeKey('MailroomRecipientDomain', 'KEYWORD'),
  recipient: defineSearchAttributeKey('MailroomRecipient', 'KEYWORD'),
};

export const SEARCH_ATTRIBUTE_NAMES = Object.values(searchAttributes).map((key) => key.name);
