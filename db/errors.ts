/** MongoDB's duplicate key error code, the same on FerretDB. */
export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Awaits a write whose duplicate-key failures mean "already written"; any other failure is thrown. */
export async function ignoreDuplicates(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!onlyDuplicates(err)) throw err;
  }
}

/** insertMany with ordered:false reports every failed document; duplicates alone mean "already counted". */
function onlyDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: unknown[] }).writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) {
    return writeErrors.every((e) => isDuplicateKey(e) || isDuplicateKey((e as { err?: unknown }).err));
  }
  return isDuplicateKey(err);
}
