import { MongoClient, type Db } from 'mongodb';
import type {
  CampaignDoc,
  CampaignRecipientsDoc,
  EmailDoc,
  EventDoc,
  IdempotencyDoc,
  SuppressionDoc,
  WebhookBatchDoc,
} from './types';
import { WebhookBatchStore } from './batches';
import { CampaignRecipientStore } from './campaign-recipients';
import { CampaignStore } from './campaigns';
import { CounterStore } from './counters';
import { EmailStore } from './emails';
import { EventStore } from './events';
import { SuppressionStore } from './suppressions';
import { IdempotencyStore } from './idempotency';

export interface Stores {
  db: Db;
  emails: EmailStore;
  events: EventStore;
  batches: WebhookBatchStore;
  suppressions: SuppressionStore;
  idempotency: IdempotencyStore;
  campaigns: CampaignStore;
  recipients: CampaignRecipientStore;
  counters: CounterStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connects, creates indexes (idempotent) and hands out one store per collection. */
export async function connectStores(uri: string, dbName: string): Promise<Stores> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db(dbName);
  const stores: Stores = {
    db,
    emails: new EmailStore(db.collection<EmailDoc>('emails')),
    events: new EventStore(db.collection<EventDoc>('events')),
    batches: new WebhookBatchStore(db.collection<WebhookBatchDoc>('webhook_batches')),
    suppressions: new SuppressionStore(db.collection<SuppressionDoc>('suppressions')),
    idempotency: new IdempotencyStore(db.collection<IdempotencyDoc>('idempotency_keys')),
    campaigns: new CampaignStore(db.collection<CampaignDoc>('campaigns')),
    recipients: new CampaignRecipientStore(db.collection<CampaignRecipientsDoc>('campaign_recipients')),
    counters: new CounterStore(
      db.collection('counter_facts'),
      db.collection('counter_buckets'),
      db.collection('counter_rollups'),
    ),
    ping: async () => {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
  await Promise.all([
    stores.emails.ensureIndexes(),
    stores.events.ensureIndexes(),
    stores.batches.ensureIndexes(),
    stores.campaigns.ensureIndexes(),
    stores.counters.ensureIndexes(),
  ]);
  return stores;
}
