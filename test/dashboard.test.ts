/**
 * The dashboard as a person sees it, in headless Chromium (Debian's, found or installed by
 * dev/tools.ts findChromium): nothing without a key, a clear refusal of a wrong one, then a campaign
 * whose figures on the page (funnel, what did not arrive, the last days, rates) are the API's, and its
 * report listing the emails that did not arrive with the API's own reason for each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTER_METRICS } from '../db/counters';
import { FINAL_STATUSES } from '../workflows/status';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { findChromium } from '../dev/tools';
import { address } from './support/emails';
import { API_KEY, type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

/** Sandbox local parts and how many of each the campaign gets; one more recipient is suppressed. */
const MIX = { deliver: 5, bounce: 4, drop: 3, open: 3, click: 3, spam: 2 };
const RECIPIENTS = Object.values(MIX).reduce((a, b) => a + b, 0) + 1;
/** As the page orders them: worst first. */
const WORST = ['bounced', 'dropped', 'suppressed', 'rejected', 'failed', 'unconfirmed'];
const FUNNEL = ['sent', 'delivered', 'opened', 'clicked'];
const SERIES = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'dropped', 'suppressed'];
const RATES = ['delivery', 'bounce', 'open', 'click', 'spam'];

let sys: TestSystem;
let browser: Browser;
let campaignId: string;
let campaignName: string;
const bounced: string[] = [];

before(async () => {
  const found = await findChromium();
  assert.ok(found.path, `Chromium is needed for this test; tried: ${found.tried.join('; ')}`);
  [sys, browser] = await Promise.all([
    startTestSystem('dashboard'),
    chromium.launch({
      executablePath: found.path,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    }),
  ]);

  const suppressed = address('deliver');
  const put = await sys.call('PUT', `/v1/suppressions/${suppressed}`, { reason: 'asked to stop' });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  const recipients = Object.entries(MIX).flatMap(([local, n]) =>
    Array.from({ length: n }, () => address(local)),
  );
  bounced.push(...recipients.filter((to) => to.startsWith('bounce+')));
  campaignName = `Spring launch ${suppressed.slice(8, 16)}`;
  const res = await sys.call('POST', '/v1/campaigns', {
    name: campaignName,
    subject: 'Spring is here',
    text: 'New things for spring.',
    recipients: [...recipients, suppressed],
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.total, RECIPIENTS);
  campaignId = res.body.id;

  // Settled: every email final, and the engagement the sandbox posts after delivery counted.
  let last: unknown;
  await waitFor(
    async () => {
      const { progress } = (last = await api(`/v1/campaigns/${campaignId}`));
      const final = FINAL_STATUSES.reduce((sum, status) => sum + progress[status], 0);
      return (
        final === RECIPIENTS &&
        progress.opened >= MIX.open + MIX.click &&
        progress.clicked >= MIX.click &&
        progress.spamReports >= MIX.spam
      );
    },
    { timeoutMs: 90_000, intervalMs: 250, message: 'the campaign to settle' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
  });
});

after(async () => {
  await browser?.close();
  await sys?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read by the test
async function api(path: string): Promise<any> {
  const res = await sys.call('GET', path);
  assert.equal(res.status, 200, `GET ${path}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A fresh tab with nothing in its sessionStorage, and every URL it requested. */
async function openDashboard(): Promise<{ page: Page; requested: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(`${sys.api.url}/dashboard`);
  return { page, requested };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByTestId('api-key').fill(key);
  await page.getByTestId('sign-in-submit').click();
}

/** The whole number a figure shows ("1,234" → 1234). */
async function figure(locator: Locator): Promise<number> {
  const text = (await locator.textContent())?.trim() ?? '';
  assert.match(text, /^[\d,]+$/, `a figure, not "${text}"`);
  return Number(text.replace(/,/g, ''));
}

/** A rate as shown ("66.67%", "—" when there is nothing to divide by) as the API gives it (0.6667, null). */
async function shownRate(locator: Locator): Promise<number | null> {
  const text = (await locator.textContent())?.trim() ?? '';
  if (text === '—') return null;
  assert.match(text, /^\d+(\.\d{1,2})?%$/, `a percentage, not "${text}"`);
  return Math.round(parseFloat(text) * 100) / 10_000;
}

/**
 * Reads the page and the API until they agree, reloading between tries: counters can still move
 * (a late open), so one comparison at one moment could catch them apart. Returns the last pair.
 */
async function untilEqual<T>(
  page: Page,
  ready: Locator,
  read: () => Promise<{ shown: T; api: T }>,
  message: string,
): Promise<{ shown: T; api: T }> {
  let last: { shown: T; api: T } | undefined;
  try {
    return await waitFor(
      async () => {
        await ready.waitFor({ timeout: 10_000 });
        last = await read();
        if (JSON.stringify(last.shown) === JSON.stringify(last.api)) return last;
        await page.reload();
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, message },
    );
  } catch (err) {
    if (last) assert.deepEqual(last.shown, last.api, message);
    throw err;
  }
}

describe('dashboard', () => {
  it('without a key: the sign-in form, no data, nothing asked of the API, nothing from elsewhere', async () => {
    const { page, requested } = await openDashboard();
    try {
      const res = await fetch(`${sys.api.url}/dashboard`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      await page.getByTestId('sign-in-form').waitFor();
      assert.equal(await page.getByTestId('campaign').count(), 0);
      assert.equal(await page.getByTestId('series').count(), 0);
      const text = await page.locator('body').innerText();
      assert.ok(!text.includes(campaignName) && !text.includes(campaignId), 'no campaign on the page');
      assert.deepEqual(
        requested.filter((url) => !url.startsWith(`${sys.api.url}/dashboard`)),
        [],
        'only the page and its two files are loaded',
      );
      // The API itself refuses what the page would ask, without a key.
      const direct = await fetch(`${sys.api.url}/v1/campaigns`);
      assert.equal(direct.status, 401);
    } finally {
      await page.context().close();
    }
  });

  it('a wrong key: a clear refusal, no data, and the key is not kept', async () => {
    const { page } = await openDashboard();
    try {
      await signIn(page, 'not-the-key');
      const error = page.getByTestId('sign-in-error');
      await error.waitFor();
      assert.match(await error.innerText(), /not accepted \(401: the API key is not valid\)/);
      assert.ok(await page.getByTestId('sign-in-form').isVisible());
      assert.equal(await page.getByTestId('campaign').count(), 0);
      assert.equal(await page.evaluate('sessionStorage.length'), 0);
    } finally {
      await page.context().close();
    }
  });

  it("signed in: the campaign's funnel, what did not arrive, and the last days are the API's figures", async () => {
    const { page } = await openDashboard();
    try {
      await signIn(page, API_KEY);
      const card = page.locator(`[data-testid="campaign"][data-campaign-id="${campaignId}"]`);
      await card.waitFor();
      assert.equal(await card.getByTestId('campaign-link').innerText(), campaignName);
      assert.ok(!(await page.getByTestId('sign-in').isVisible()), 'the form is gone');

      const { shown, api: expected } = await untilEqual(
        page,
        card,
        async () => {
          // What the card draws: the funnel and, beside it, the three kinds of loss plus any other.
          const drawn = await card
            .locator('[data-testid^="figure-"]')
            .evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')!.slice('figure-'.length)));
          const shownFigures: Record<string, number> = {};
          for (const metric of drawn)
            shownFigures[metric] = await figure(card.getByTestId(`figure-${metric}`));
          const seriesShown: Record<string, number> = {};
          for (const metric of SERIES) {
            seriesShown[metric] = await figure(page.getByTestId(`series-total-${metric}`));
          }
          const shownCard = {
            state: await card.getByTestId('state').innerText(),
            total: await figure(card.getByTestId('total')),
            started: await figure(card.getByTestId('started')),
            figures: shownFigures,
            series: seriesShown,
          };
          const [view, summary] = await Promise.all([
            api(`/v1/campaigns/${campaignId}`),
            api('/v1/reports/summary?interval=day'),
          ]);
          const lost = ['bounced', 'dropped', 'suppressed'];
          lost.push(...['rejected', 'failed', 'unconfirmed', 'canceled'].filter((m) => view.progress[m] > 0));
          const apiCard = {
            state: view.state,
            total: view.total,
            started: view.started,
            figures: Object.fromEntries([...FUNNEL, ...lost].map((m) => [m, view.progress[m]])),
            series: Object.fromEntries(
              SERIES.map((m) => [
                m,
                summary.points.reduce(
                  (sum: number, p: { counts: Record<string, number> }) => sum + p.counts[m],
                  0,
                ),
              ]),
            ),
          };
          return { shown: shownCard, api: apiCard };
        },
        "the campaign card's figures to be the API's",
      );
      assert.deepEqual(shown, expected);
      // The mix behind those figures, so equal is not trivially equal.
      assert.equal(expected.figures.bounced, MIX.bounce);
      assert.equal(expected.figures.dropped, MIX.drop);
      assert.equal(expected.figures.suppressed, 1);
      assert.equal(expected.figures.clicked, MIX.click);
      assert.equal(expected.series.bounced, MIX.bounce, 'the campaign is in the last 7 days');
    } finally {
      await page.context().close();
    }
  });

  it('clicking the campaign: its report, and the emails that did not arrive with the reason the API gives', async () => {
    const { page } = await openDashboard();
    try {
      await signIn(page, API_KEY);
      await page.locator(`[data-testid="campaign"][data-campaign-id="${campaignId}"]`).click();
      const report = page.getByTestId('report');
      await report.waitFor();
      assert.equal(page.url(), `${sys.api.url}/dashboard#/campaigns/${campaignId}`);
      assert.equal(await page.getByTestId('campaign-name').innerText(), campaignName);

      await untilEqual(
        page,
        report,
        async () => {
          const counts: Record<string, number> = {};
          for (const metric of COUNTER_METRICS)
            counts[metric] = await figure(report.getByTestId(`count-${metric}`));
          const rates: Record<string, number | null> = {};
          for (const name of RATES) rates[name] = await shownRate(report.getByTestId(`rate-${name}`));
          const body = await api(`/v1/reports/campaigns/${campaignId}`);
          const expected = {
            counts: Object.fromEntries(COUNTER_METRICS.map((m) => [m, body.counts[m]])),
            rates: body.rates,
          };
          return { shown: { counts, rates }, api: expected };
        },
        "the report's counts and rates to be the API's",
      );

      const rows = page.getByTestId('worst-email');
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => ({
          id: tr.getAttribute('data-email-id'),
          status: tr.getAttribute('data-status'),
          to: tr.querySelector('[data-testid="worst-to"]')?.textContent,
          whyNot: tr.querySelector('[data-testid="why-not"]')?.textContent,
        })),
      );
      const statuses = shown.map((row) => WORST.indexOf(row.status ?? ''));
      assert.ok(
        statuses.every((s, i) => s >= 0 && (i === 0 || s >= statuses[i - 1])),
        `worst first: ${shown.map((r) => r.status).join(', ')}`,
      );
      // Every email of the campaign that did not arrive is listed, with the API's own reason.
      const expected = [];
      for (const status of WORST) {
        const list = await api(`/v1/emails?campaignId=${campaignId}&status=${status}&limit=100`);
        for (const email of list.emails) {
          expected.push({ id: email.id, status, to: email.to, whyNot: email.outcome.reason });
        }
      }
      const byId = (a: { id: string | null }, b: { id: string | null }) =>
        String(a.id).localeCompare(String(b.id));
      assert.deepEqual([...shown].sort(byId), [...expected].sort(byId));
      const bouncedRows = shown.filter((row) => row.status === 'bounced');
      assert.deepEqual(bouncedRows.map((row) => row.to).sort(), [...bounced].sort());
      for (const row of bouncedRows) assert.match(row.whyNot ?? '', /mailbox does not exist/i);
      assert.equal(shown.filter((row) => row.status === 'dropped').length, MIX.drop);
      assert.ok(shown.some((row) => row.status === 'suppressed' && /asked to stop/.test(row.whyNot ?? '')));

      // Back, then out: the key is forgotten and the data gone, even after a reload.
      await page.getByTestId('back').click();
      await page.locator(`[data-testid="campaign"][data-campaign-id="${campaignId}"]`).waitFor();
      await page.getByTestId('sign-out').click();
      await page.getByTestId('sign-in-form').waitFor();
      assert.equal(await page.getByTestId('campaign').count(), 0);
      assert.equal(await page.evaluate('sessionStorage.length'), 0);
      await page.reload();
      await page.getByTestId('sign-in-form').waitFor();
      assert.equal(await page.getByTestId('campaign').count(), 0);
    } finally {
      await page.context().close();
    }
  });
});
