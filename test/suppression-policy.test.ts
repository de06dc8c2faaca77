/**
 * The suppression policy as pure rules: which events suppress, for how long, and for which group;
 * how addresses compare; and the API's configuration of the soft-bounce rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadApiConfig } from '../api/config';
import { normalizeAddress, suppressionKey } from '../db/suppressions';
import { ConfigError, type Env } from '../lib/env';
import {
  DEFAULT_SUPPRESSION_POLICY,
  asmGroupId,
  decide,
  softBounceSuppression,
  softBounceWindowStart,
  suppressionReason,
} from '../lib/suppression-policy';
import { generateSigningKeyPair } from '../sandbox/signing';

const DAY = 86_400_000;

describe('which events suppress an address until it is removed', () => {
  it('a hard bounce', () => {
    assert.deepEqual(decide({ event: 'bounce', type: 'bounce' }), {
      kind: 'suppress',
      reason: 'hard bounce',
    });
  });

  for (const reason of ['Invalid', 'Bounced Address', 'Spam Reporting Address', 'Unsubscribed Address']) {
    it(`a drop for "${reason}"`, () => {
      assert.deepEqual(decide({ event: 'dropped', reason }), {
        kind: 'suppress',
        reason: `dropped by SendGrid: ${reason}`,
      });
    });
  }

  for (const reason of ['Spam Content', 'Invalid SMTPAPI header', 'Recipient List over Package Quota']) {
    it(`not a drop for "${reason}": that is about the message, not the address`, () => {
      assert.deepEqual(decide({ event: 'dropped', reason }), { kind: 'none' });
    });
  }

  it('a spam report and an unsubscribe', () => {
    assert.deepEqual(decide({ event: 'spamreport' }), { kind: 'suppress', reason: 'spam report' });
    assert.deepEqual(decide({ event: 'unsubscribe' }), { kind: 'suppress', reason: 'unsubscribed' });
  });

  it('nothing for delivery and engagement events, or a drop without a reason', () => {
    for (const event of ['processed', 'delivered', 'deferred', 'open', 'click', 'dropped', 'anything'])
      assert.deepEqual(decide({ event }), { kind: 'none' }, event);
  });

  it('suppressionReason gives the permanent reason only', () => {
    assert.equal(suppressionReason({ event: 'bounce', type: 'bounce' }), 'hard bounce');
    assert.equal(suppressionReason({ event: 'bounce', type: 'blocked' }), null);
    assert.equal(suppressionReason({ event: 'group_unsubscribe', asm_group_id: 4 }), null);
  });
});

describe('blocked (soft) bounces', () => {
  it('count towards the limit, and a bounce of another type counts for nothing', () => {
    assert.deepEqual(decide({ event: 'bounce', type: 'blocked' }), { kind: 'soft-bounce' });
    assert.deepEqual(decide({ event: 'bounce', type: 'unknown' }), { kind: 'none' });
    assert.deepEqual(decide({ event: 'bounce' }), { kind: 'none' });
  });

  it('suppress from the limit on (3 by default), with an expiry 30 days on', () => {
    const now = new Date('2026-11-02T10:00:00Z');
    assert.equal(softBounceSuppression(2, DEFAULT_SUPPRESSION_POLICY, now), null);
    assert.deepEqual(softBounceSuppression(3, DEFAULT_SUPPRESSION_POLICY, now), {
      reason: '3 blocked bounces within 7 days',
      expiresAt: new Date('2026-12-02T10:00:00Z'),
    });
    assert.equal(
      softBounceSuppression(4, DEFAULT_SUPPRESSION_POLICY, now)?.reason,
      '3 blocked bounces within 7 days',
    );
  });

  it('follow a configured limit, window and expiry', () => {
    const policy = { softBounceLimit: 2, softBounceWindowMs: 36 * 3_600_000, softBounceExpiryMs: DAY };
    const now = new Date('2026-11-02T10:00:00Z');
    assert.equal(softBounceSuppression(1, policy, now), null);
    assert.deepEqual(softBounceSuppression(2, policy, now), {
      reason: '2 blocked bounces within 36 hours',
      expiresAt: new Date('2026-11-03T10:00:00Z'),
    });
  });

  it('are counted over the window that ends now', () => {
    const now = new Date('2026-11-09T10:00:00Z');
    assert.equal(
      softBounceWindowStart(DEFAULT_SUPPRESSION_POLICY, now),
      Date.parse('2026-11-02T10:00:00Z') / 1000,
    );
  });
});

describe('ASM group events', () => {
  it('a group unsubscribe suppresses that group only; a resubscribe lifts it', () => {
    assert.deepEqual(decide({ event: 'group_unsubscribe', asm_group_id: 42 }), {
      kind: 'group-unsubscribe',
      groupId: 42,
      reason: 'unsubscribed from group 42',
    });
    assert.deepEqual(decide({ event: 'group_resubscribe', asm_group_id: 42 }), {
      kind: 'group-resubscribe',
      groupId: 42,
    });
  });

  it('a group id given as a numeric string counts; a missing or bad one makes the event do nothing', () => {
    assert.equal(asmGroupId('42'), 42);
    for (const bad of [undefined, null, '', 'x', 0, -3, 1.5, '4a', {}])
      assert.equal(asmGroupId(bad), null, String(bad));
    assert.deepEqual(decide({ event: 'group_unsubscribe' }), { kind: 'none' });
    assert.deepEqual(decide({ event: 'group_resubscribe', asm_group_id: 'none' }), { kind: 'none' });
  });
});

describe('addresses', () => {
  it('compare trimmed and case-insensitively; a group entry has its own key', () => {
    assert.equal(normalizeAddress('  Ann.Lee@Example.COM '), 'ann.lee@example.com');
    assert.equal(suppressionKey(' Ann@Example.com'), 'ann@example.com');
    assert.equal(suppressionKey('Ann@Example.com', 7), 'ann@example.com#group:7');
  });
});

describe('configuration (API environment)', () => {
  const base: Env = {
    API_KEYS: 'k',
    DEFAULT_FROM: 'Mailroom <no-reply@example.com>',
    MONGODB_URI: 'mongodb://localhost:27017',
    SENDGRID_WEBHOOK_PUBLIC_KEY: generateSigningKeyPair().publicKey,
  };

  it('defaults to 3 blocked bounces within 7 days, suppressed for 30 days', () => {
    assert.deepEqual(loadApiConfig(base).suppression, DEFAULT_SUPPRESSION_POLICY);
    assert.deepEqual(DEFAULT_SUPPRESSION_POLICY, {
      softBounceLimit: 3,
      softBounceWindowMs: 7 * DAY,
      softBounceExpiryMs: 30 * DAY,
    });
  });

  it('reads SUPPRESSION_SOFT_BOUNCE_LIMIT, _WINDOW and _EXPIRY', () => {
    const config = loadApiConfig({
      ...base,
      SUPPRESSION_SOFT_BOUNCE_LIMIT: '5',
      SUPPRESSION_SOFT_BOUNCE_WINDOW: '48h',
      SUPPRESSION_SOFT_BOUNCE_EXPIRY: '14d',
    });
    assert.deepEqual(config.suppression, {
      softBounceLimit: 5,
      softBounceWindowMs: 2 * DAY,
      softBounceExpiryMs: 14 * DAY,
    });
  });

  const bad: [string, string][] = [
    ['SUPPRESSION_SOFT_BOUNCE_LIMIT', '0'],
    ['SUPPRESSION_SOFT_BOUNCE_LIMIT', 'three'],
    ['SUPPRESSION_SOFT_BOUNCE_WINDOW', '7 days'],
    ['SUPPRESSION_SOFT_BOUNCE_WINDOW', '0d'],
    ['SUPPRESSION_SOFT_BOUNCE_EXPIRY', '-1d'],
  ];
  for (const [name, value] of bad) {
    it(`${name}="${value}" stops the API with one line naming it`, () => {
      assert.throws(
        () => loadApiConfig({ ...base, [name]: value }),
        (err: unknown) =>
          err instanceof ConfigError && err.message.startsWith(name) && !err.message.includes('\n'),
      );
    });
  }
});
