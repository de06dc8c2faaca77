/**
 * Determinism guard: recorded histories of each path of the email workflow (test/fixtures/histories,
 * written by `npm run record-histories`) are replayed against the current workflow code. A change
 * that would break workflows already running (a reordered activity, a removed timer) fails here;
 * such a change needs `patched()`, and new fixtures recorded next to the old ones.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import './support/runtime';
import { workflowBundle } from '../worker/worker';
import { FINAL_STATUSES } from '../workflows/status';

const HISTORIES = path.join(__dirname, 'fixtures', 'histories');
// Older generations sit in subfolders (before-campaigns/: recorded before scheduling, cancel and the
// status search attribute; before-local-activities/: with the database steps as activity tasks); they
// must keep replaying as long as such workflows may be running.
const files = readdirSync(HISTORIES, { recursive: true, encoding: 'utf8' }).filter((name) =>
  name.endsWith('.binpb'),
);

it('there is a recorded history of the current code for every final outcome', () => {
  const paths = files.filter((name) => !name.includes(path.sep)).map((name) => name.replace(/\.binpb$/, ''));
  for (const expected of FINAL_STATUSES) {
    assert.ok(paths.includes(expected), `missing fixture ${expected}.binpb`);
  }
});

it('every recorded history replays against the current workflow code', async () => {
  const histories = files.map((name) => ({
    workflowId: name,
    history: temporal.api.history.v1.History.decode(readFileSync(path.join(HISTORIES, name))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    histories,
  )) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});
