/**
 * Ops find emails in the Temporal UI by search attributes the workflow keeps up to date. Listed here
 * through the client's visibility query, as the UI's search box does.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { searchAttributes } from '../workflows/search-attributes';
import { address, sendEmail, waitForStatus } from './support/emails';
import { type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let sys: TestSystem;
let temporal: Client;

before(async () => {
  sys = await startTestSystem('temporal_search', { env: { api: { RECIPIENT_IN_TEMPORAL: 'true' } } });
  temporal = new Client({ connection: await Connection.connect({ address: sys.env.api.TEMPORAL_ADDRESS }) });
});
after(async () => {
  await temporal?.connection.close();
  await sys?.close();
});

async function find(query: string, expected: number): Promise<string[]> {
  return waitFor(
    async () => {
      const ids: string[] = [];
      for await (const run of temporal.workflow.list({ query })) ids.push(run.workflowId);
      return ids.length === expected ? ids.sort() : undefined;
    },
    { timeoutMs: 15_000, message: `${expected} workflows for ${query}` },
  );
}

it("finds a campaign's bounced emails by status, and any email by id, domain and address", async () => {
  const campaignId = `cmp_search_${randomUUID().slice(0, 8)}`;
  const bounced = address('bounce');
  const ids = {
    bounced: await sendEmail(sys, bounced, { campaignId }),
    delivered: await sendEmail(sys, address('deliver'), { campaignId }),
  };
  await waitForStatus(sys, ids.bounced, ['bounced']);
  await waitForStatus(sys, ids.delivered, ['delivered']);

  assert.deepEqual(await find(`MailroomCampaignId = "${campaignId}" AND MailroomStatus = "bounced"`, 1), [
    ids.bounced,
  ]);
  assert.deepEqual(await find(`MailroomCampaignId = "${campaignId}" AND MailroomStatus = "delivered"`, 1), [
    ids.delivered,
  ]);
  assert.deepEqual(await find(`MailroomEmailId = "${ids.delivered}"`, 1), [ids.delivered]);
  assert.deepEqual(
    await find(`MailroomCampaignId = "${campaignId}" AND MailroomRecipientDomain = "example.com"`, 2),
    Object.values(ids).sort(),
  );
  assert.deepEqual(await find(`MailroomRecipient = "${bounced}"`, 1), [ids.bounced]);

  const described = await temporal.workflow.getHandle(ids.bounced).describe();
  assert.equal(described.typedSearchAttributes.get(searchAttributes.status), 'bounced');
});
