import type { Counts } from '../db/counters';
import type { Rates } from './reports';

export interface CampaignReport {
  campaignId: string;
  name: string;
  state: string;
  total: number;
  asOf: string;
  counts: Counts;
  rates: Rates;
}

/** Rows of the terminal report: label, count, and the rate it carries (if any). */
const ROWS: [string, keyof Counts, keyof Rates | null][] = [
  ['Sent', 'sent', null],
  ['Delivered', 'delivered', 'delivery'],
  ['Bounced', 'bounced', 'bounce'],
  ['  hard bounces', 'hardBounced', null],
  ['Dropped', 'dropped', null],
  ['Suppressed', 'suppressed', null],
  ['Deferred (at least once)', 'deferred', null],
  ['Unconfirmed', 'unconfirmed', null],
  ['Rejected by SendGrid', 'rejected', null],
  ['Failed to send', 'failed', null],
  ['Canceled', 'canceled', null],
  ['Unique opens', 'opened', 'open'],
  ['Unique clicks', 'clicked', 'click'],
  ['Spam reports', 'spamReports', 'spam'],
  ['Unsubscribes', 'unsubscribes', null],
];

/** The campaign report as a plain-text table, the same figures as GET /v1/reports/campaigns/:id. */
export function reportTable(report: CampaignReport): string {
  const lines = [
    `${report.name} (${report.campaignId})`,
    `state ${report.state}, ${report.total} recipients, as of ${report.asOf}`,
    '',
    `${'Emails'.padEnd(26)}${'count'.padStart(9)}${'rate'.padStart(10)}`,
  ];
  for (const [label, metric, rate] of ROWS) {
    const value = rate ? report.rates[rate] : null;
    const shown = value === null ? '' : `${(value * 100).toFixed(1)} %`;
    lines.push(
      `${label.padEnd(26)}${String(report.counts[metric]).padStart(9)}${shown.padStart(10)}`.trimEnd(),
    );
  }
  return `${lines.join('\n')}\n`;
}
