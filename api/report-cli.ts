/**
 * `npm run report -- --campaign <id> [--as-of <time>]`: a campaign's report as a table, from the API
 * (MAILROOM_API_URL, MAILROOM_API_KEY; `npm start`'s when unset).
 */
import { parseArgs } from 'node:util';
import { type CampaignReport, reportTable } from './report-table';

const DEFAULT_URL = 'http://127.0.0.1:3000';
const DEFAULT_KEY = 'mailroom-dev-key';

async function main(): Promise<number> {
  let values: { campaign?: string; 'as-of'?: string };
  try {
    ({ values } = parseArgs({ options: { campaign: { type: 'string' }, 'as-of': { type: 'string' } } }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (!values.campaign) return usage('--campaign is required');
  const asOf = values['as-of'];
  if (asOf !== undefined && Number.isNaN(Date.parse(asOf)))
    return usage(`--as-of must be a date-time, got "${asOf}"`);

  const base = (process.env.MAILROOM_API_URL?.trim() || DEFAULT_URL).replace(/\/+$/, '');
  const query = asOf ? `?asOf=${encodeURIComponent(new Date(asOf).toISOString())}` : '';
  const url = `${base}/v1/reports/campaigns/${encodeURIComponent(values.campaign)}${query}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${process.env.MAILROOM_API_KEY?.trim() || DEFAULT_KEY}` },
    });
  } catch (err) {
    console.error(`Could not reach Mailroom at ${base}: ${(err as Error).message}`);
    return 1;
  }
  const body = (await res.json()) as CampaignReport & { error?: { message: string } };
  if (!res.ok) {
    console.error(`Mailroom answered ${res.status}: ${body.error?.message ?? 'no message'}`);
    return 1;
  }
  process.stdout.write(reportTable(body));
  return 0;
}

function usage(problem: string): number {
  console.error(`${problem}\nusage: npm run report -- --campaign <id> [--as-of <ISO time>]`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
