/**
 * The reputation circuit breaker: its rule as a pure function, then on the real stack a campaign to
 * the sandbox's bounce recipients pausing itself (shown in the API and in Temporal's search), staying
 * paused until resumed, and a healthy campaign with the same settings running to the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { breakerVerdict } from '../workflows/breaker';
import { DEFAULT_TUNING } from '../workflows/campaign-signals';
import { address } from './support/emails';
import { type ApiResponse, type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

const limits = DEFAULT_TUNING.breaker;
const zero = { delivered: 0, bounced: 0, hardBounced: 0, spamReports: 0 };

describe('breaker rule', () => {
  it('waits for enough judged emails, then trips on hard bounces over 5 % or spam reports over 0.1 %', () => {
    assert.equal(
      breakerVerdict({ delivered: 150, bounced: 49, hardBounced: 49, spamReports: 0 }, zero, limits),
      null,
    );
    assert.equal(
      breakerVerdict({ delivered: 189, bounced: 11, hardBounced: 11, spamReports: 0 }, zero, limits),
      'hard-bounce rate 5.5 % over 5.0 % (11 of 200)',
    );
    assert.equal(
      breakerVerdict({ delivered: 190, bounced: 10, hardBounced: 10, spamReports: 0 }, zero, limits),
      null,
    );
    assert.equal(
      breakerVerdict({ delivered: 200, bounced: 0, hardBounced: 0, spamReports: 1 }, zero, limits),
      'spam-report rate 0.50 % over 0.10 % (1 of 200)',
    );
  });

  it('blocked (soft) bounces are judged but do not trip it', () => {
    assert.equal(
      breakerVerdict({ delivered: 150, bounced: 60, hardBounced: 0, spamReports: 0 }, zero, limits),
      null,
    );
  });

  it('after a resume, only what happened since counts', () => {
    const counts = { delivered: 400, bounced: 40, hardBounced: 40, spamReports: 0 };
    assert.notEqual(breakerVerdict(counts, zero, limits), null);
    assert.equal(breakerVerdict(counts, counts, limits), null);
    const later = { delivered: 600, bounced: 45, hardBounced: 45, spamReports: 0 };
    assert.equal(breakerVerdict(later, counts, limits), null);
  });
});

describe('breaker on the stack', () => {
  let sys: TestSystem;
  let temporal: Client;

  before(async () => {
    sys = await startTestSystem('breaker', {
      env: { api: { BREAKER_MIN_JUDGED: '20', CAMPAIGN_BATCH_SIZE: '10', CAMPAIGN_WINDOW: '20' } },
    });
    temporal = new Client({
      connection: await Connection.connect({ address: sys.env.api.TEMPORAL_ADDRESS }),
    });
  });
  after(async () => {
    await temporal?.connection.close();
    await sys?.close();
  });

  async function waitForCampaign(id: string, ok: (c: ApiResponse['body']) => boolean, message: string) {
    let last: unknown;
    try {
      return await waitFor(
        async () => {
          const c = (await sys.call('GET', `/v1/campaigns/${id}`)).body;
          last = c;
          return ok(c) ? c : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 200, message },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last)}`);
    }
  }

  it('a campaign bouncing hard pauses itself, says why, and stays paused until resumed', async () => {
    // One in four of the first 20 bounces (the breaker judges from 20 here); the rest are healthy.
    const recipients = Array.from({ length: 100 }, (_, i) =>
      address(i < 20 && i % 4 === 0 ? 'bounce' : 'deliver'),
    );
    const res = await sys.call('POST', '/v1/campaigns', {
      name: 'stale list',
      subject: 'Hello',
      text: 'Hi',
      ratePerSecond: 25,
      recipients,
    });
    assert.equal(res.status, 202);
    const id = res.body.id as string;

    const paused = await waitForCampaign(
      id,
      (c) => c.state === 'paused',
      'the breaker to pause the campaign',
    );
    assert.match(
      paused.pauseReason,
      /^circuit breaker: hard-bounce rate \d+\.\d % over 5\.0 % \(\d+ of \d+\)$/,
    );
    // Every email started before the pause is sent and judged, so nothing judged later predates the resume.
    const settled = await waitForCampaign(
      id,
      (c) => c.progress.sent === c.started && c.progress.delivered + c.progress.bounced === c.started,
      'the emails started before the pause to be sent and judged',
    );
    assert.ok(settled.started < 100, `it stopped part way (${settled.started} started)`);
    assert.equal(settled.progress.hardBounced, 5);

    // Ops find it in Temporal by its state.
    const listed = await waitFor(
      async () => {
        const found: string[] = [];
        const query = `WorkflowType = "campaignWorkflow" AND MailroomStatus = "paused" AND MailroomCampaignId = "${id}"`;
        for await (const run of temporal.workflow.list({ query })) found.push(run.workflowId);
        return found.length ? found : undefined;
      },
      { timeoutMs: 15_000, message: 'the paused campaign to be found in Temporal' },
    );
    assert.deepEqual(listed, [id]);
    const latest = (await sys.call('GET', `/v1/campaigns/${id}`)).body;
    assert.equal(latest.state, 'paused', 'it does not resume by itself');
    assert.equal(latest.started, settled.started);

    assert.equal((await sys.call('POST', `/v1/campaigns/${id}/resume`, {})).status, 202);
    const done = await waitForCampaign(
      id,
      (c) => c.state === 'completed',
      'the resumed campaign to complete',
    );
    assert.equal(done.started, 100);
    assert.equal(done.pauseReason, null);
  });

  it('a healthy campaign with the same settings runs to the end', async () => {
    const recipients = Array.from({ length: 60 }, () => address('deliver'));
    const res = await sys.call('POST', '/v1/campaigns', {
      name: 'good list',
      subject: 'Hi',
      text: 'Hi',
      recipients,
    });
    const done = await waitForCampaign(
      res.body.id,
      (c) => c.state === 'completed' && c.progress.delivered === 60,
      'the campaign to complete',
    );
    assert.equal(done.pauseReason, null);
  });
});
