import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BUNDLE_PATH } from './worker';

/** Run by `npm run build`: production workers load this bundle instead of bundling at start. */
async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  await writeFile(BUNDLE_PATH, code);
  console.log(`workflow bundle written to ${BUNDLE_PATH}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
