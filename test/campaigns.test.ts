/**
 * Campaigns end to end on the real stack (Temporal dev server, FerretDB, the sandbox): fan-out with
 * duplicates, suppressed and invalid recipients; live progress; pause, resume and cancel mid-flight;
 * scheduled sends canceled before their time; the reputation breaker; a bounded history.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { FINAL_STATUSES } from '../workflows/status';
import { address } from './support/emails';
import { type ApiResponse, type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let sys: TestSystem;
let temporal: Client;

before(async () => {
  sys = await startTestSystem('campaigns', {
    // Small batches and runs, so a campaign of a hundred crosses several of each.
    env: { api: { CAMPAIGN_BATCH_SIZE: '10', CAMPAIGN_WINDOW: '20', CAMPAIGN_TURNS_PER_RUN: '5' } },
  });
  temporal = new Client({ connection: await Connection.connect({ address: sys.env.api.TEMPORAL_ADDRESS }) });
});
after(async () => {
  await temporal?.connection.close();
  await sys?.close();
});

function campaignBody(recipients: unknown[], extra: Record<string, unknown> = {}) {
  return { name: 'Q3 kickoff', subject: 'Kickoff', text: 'See you there.', recipients, ...extra };
}

async function createCampaign(recipients: unknown[], extra: Record<string, unknown> = {}) {
  const res = await sys.call('POST', '/v1/campaigns', campaignBody(recipients, extra));
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body as { id: string; total: number; duplicates: number; invalid: unknown[] };
}

async function campaign(id: string) {
  const res = await sys.call('GET', `/v1/campaigns/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function waitForCampaign(
  id: string,
  ok: (c: ApiResponse['body']) => boolean,
  message: string,
  timeoutMs = 60_000,
) {
  let last: unknown;
  try {
    return await waitFor(
      async () => {
        const c = await campaign(id);
        last = c;
        return ok(c) ? c : undefined;
      },
      { timeoutMs, intervalMs: 200, message },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last)}`);
  }
}

/** Every email of the campaign, through the paged list. */
async function campaignEmails(id: string, pageSize = 50) {
  const emails: { id: string; to: string; status: string; outcome: { reason: string } | null }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `campaignId=${id}&limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await sys.call('GET', `/v1/emails?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    emails.push(...res.body.emails);
    cursor = res.body.nextCursor;
  } while (cursor);
  return emails;
}

async function sandboxRequests(to: string): Promise<number> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages?to=${encodeURIComponent(to)}`);
  return ((await res.json()) as unknown[]).length;
}

const allFinal = (emails: { status: string }[]) =>
  emails.every((e) => (FINAL_STATUSES as readonly string[]).includes(e.status));

describe('campaigns: fan-out', () => {
  it('sends each distinct recipient once; duplicates are left out, invalid ones reported by index, suppressed ones end suppressed', async () => {
    const good = Array.from({ length: 12 }, (_, i) => address(i % 4 === 0 ? 'open' : 'deliver'));
    const suppressed = address('deliver');
    const put = await sys.call('PUT', `/v1/suppressions/${suppressed}`, { reason: 'asked to stop' });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const recipients = [
      ...good.map((to) => ({ to, metadata: { region: 'emea' } })),
      { to: `  ${good[1].toUpperCase()} ` },
      good[2],
      { to: 'not-an-address' },
      suppressed,
      { to: good[3], extra: 'field' },
    ];
    const accepted = await createCampaign(recipients, { categories: ['kickoff'] });
    assert.equal(accepted.total, 13);
    assert.equal(accepted.duplicates, 2);
    assert.deepEqual(accepted.invalid, [
      { index: 14, field: 'to.email', message: 'must be an email address' },
      { index: 16, field: 'extra', message: 'is not a known field' },
    ]);

    const done = await waitForCampaign(
      accepted.id,
      (c) => c.state === 'completed' && c.progress.delivered === 12,
      'the campaign to complete and its emails to be delivered',
    );
    assert.equal(done.total, 13);
    assert.equal(done.started, 13);
    assert.equal(done.progress.sent, 12);
    assert.equal(done.progress.suppressed, 1);
    assert.equal(done.progress.opened, 3);

    const emails = await campaignEmails(accepted.id, 5);
    assert.equal(emails.length, 13);
    assert.equal(new Set(emails.map((e) => e.id)).size, 13, 'pages neither repeat nor skip');
    const byAddress = new Map(emails.map((e) => [e.to.toLowerCase(), e]));
    assert.equal(byAddress.get(suppressed)?.status, 'suppressed');
    for (const to of good) {
      assert.equal(byAddress.get(to)?.status, 'delivered', to);
      assert.equal(await sandboxRequests(to), 1, `${to} was sent exactly once`);
    }
    assert.equal(await sandboxRequests(suppressed), 0);

    const filtered = await sys.call('GET', `/v1/emails?campaignId=${accepted.id}&status=suppressed`);
    assert.deepEqual(
      filtered.body.emails.map((e: { to: string }) => e.to),
      [suppressed],
    );
  });

  it('a campaign with no usable recipient is refused, naming each bad one', async () => {
    const res = await sys.call(
      'POST',
      '/v1/campaigns',
      campaignBody([{ to: 'nope' }, { templateData: {} }, 7]),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error.details, [
      { field: 'recipients.0.to.email', message: 'must be an email address' },
      { field: 'recipients.1.to', message: 'is required' },
      { field: 'recipients.2', message: 'must be an address or an object with "to"' },
    ]);
  });

  it('bad campaign fields are named', async () => {
    const res = await sys.call('POST', '/v1/campaigns', {
      name: '',
      text: 'x',
      ratePerSecond: -1,
      recipients: [],
      sendAt: 'tomorrow',
    });
    assert.equal(res.status, 400);
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    assert.deepEqual(fields, ['name', 'ratePerSecond', 'recipients', 'sendAt', 'subject']);
  });

  it('an unknown campaign is a 404 for reading and for every control', async () => {
    assert.equal((await sys.call('GET', '/v1/campaigns/cmp_nope')).status, 404);
    for (const action of ['pause', 'resume', 'cancel']) {
      assert.equal((await sys.call('POST', `/v1/campaigns/cmp_nope/${action}`, {})).status, 404);
    }
  });
});

describe('campaigns: control', () => {
  it('pause stops new sends, resume goes on, cancel stops every email not yet sent; sent ones are tracked', async () => {
    const recipients = Array.from({ length: 120 }, () => address('deliver'));
    const { id } = await createCampaign(recipients, { ratePerSecond: 20 });

    await waitForCampaign(id, (c) => c.started >= 20, 'some emails to start');
    assert.equal(
      (await sys.call('POST', `/v1/campaigns/${id}/pause`, { reason: 'checking the copy' })).status,
      202,
    );
    const paused = await waitForCampaign(id, (c) => c.state === 'paused', 'the campaign to pause');
    assert.equal(paused.pauseReason, 'checking the copy');
    // Whatever was started before the pause settles; nothing more starts while paused.
    const settled = await waitForCampaign(
      id,
      (c) => c.progress.sent === c.started,
      'the emails started before the pause to be sent',
    );
    assert.ok(settled.started < 120, `only part was started before the pause (${settled.started})`);
    assert.equal((await campaign(id)).started, settled.started, 'nothing started while paused');
    assert.equal((await sys.call('POST', `/v1/campaigns/${id}/resume`, {})).status, 202);
    await waitForCampaign(
      id,
      (c) => c.state === 'running' && c.started > settled.started,
      'sending to go on',
    );

    assert.equal((await sys.call('POST', `/v1/campaigns/${id}/cancel`, {})).status, 202);
    await waitForCampaign(id, (c) => c.state === 'canceled', 'the campaign to be canceled');
    const emails = await waitFor(
      async () => {
        const list = await campaignEmails(id);
        return allFinal(list) ? list : undefined;
      },
      { timeoutMs: 30_000, message: 'every email to reach a final status' },
    );
    const canceled = emails.filter((e) => e.status === 'canceled');
    const delivered = emails.filter((e) => e.status === 'delivered');
    assert.equal(canceled.length + delivered.length, 120);
    assert.ok(
      canceled.length > 0 && delivered.length > 0,
      `${delivered.length} sent, ${canceled.length} canceled`,
    );
    for (const e of canceled) {
      assert.equal(e.outcome?.reason, 'Canceled before it was sent: the campaign was canceled');
      assert.equal(await sandboxRequests(e.to), 0, `${e.to} was canceled, yet sent`);
    }
    for (const e of delivered) assert.equal(await sandboxRequests(e.to), 1);
    const final = await waitForCampaign(
      id,
      (c) => c.progress.canceled === canceled.length && c.progress.delivered === delivered.length,
      'the counters to match the emails',
    );
    assert.equal(final.progress.sent, delivered.length);

    const again = await sys.call('POST', `/v1/campaigns/${id}/resume`, {});
    assert.equal(again.status, 409);
    assert.equal(again.body.error.message, 'the campaign is canceled; it cannot resume');
  });

  it('resume is refused for a campaign that is not paused', async () => {
    const { id } = await createCampaign([address('deliver')]);
    await waitForCampaign(id, (c) => c.state === 'completed', 'the campaign to complete');
    const res = await sys.call('POST', `/v1/campaigns/${id}/resume`, {});
    assert.equal(res.status, 409);
  });

  it('a scheduled campaign canceled before its time sends nothing', async () => {
    const recipients = Array.from({ length: 5 }, () => address('deliver'));
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { id } = await createCampaign(recipients, { sendAt });
    const scheduled = await waitForCampaign(
      id,
      (c) => c.state === 'scheduled',
      'the campaign to be scheduled',
    );
    assert.equal(scheduled.sendAt, sendAt);
    assert.equal(
      (await sys.call('POST', `/v1/campaigns/${id}/cancel`, { reason: 'plans changed' })).status,
      202,
    );
    const done = await waitForCampaign(
      id,
      (c) => c.state === 'canceled' && c.progress.canceled === 5,
      'the campaign and its emails to be canceled',
    );
    assert.equal(done.started, 0);
    for (const e of await campaignEmails(id)) {
      assert.equal(e.status, 'canceled');
      assert.equal(e.outcome?.reason, 'Canceled before it was sent: plans changed');
    }
    for (const to of recipients) assert.equal(await sandboxRequests(to), 0);
  });
});

describe('campaigns: bounded history', () => {
  it('hands over to a fresh run every few turns, so no run keeps a long history', async () => {
    const { id } = await createCampaign(Array.from({ length: 60 }, () => address('deliver')));
    await waitForCampaign(id, (c) => c.state === 'completed', 'the campaign to complete', 120_000);
    const runs = await waitFor(
      async () => {
        const found: WorkflowExecutionInfo[] = [];
        for await (const run of temporal.workflow.list({ query: `WorkflowId = "${id}"` })) found.push(run);
        return found.some((run) => run.status.name === 'COMPLETED') ? found : undefined;
      },
      { timeoutMs: 15_000, message: 'the runs to be listed' },
    );
    assert.ok(runs.length >= 2, `continued as new (${runs.length} runs)`);
    for (const run of runs) assert.ok(run.historyLength <= 150, `a run has ${run.historyLength} events`);
  });
});
