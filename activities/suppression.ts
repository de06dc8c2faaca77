import type { SuppressionStore } from '../db/suppressions';

export function createSuppressionActivities(deps: { suppressions: SuppressionStore }) {
  return {
    /** The entry that stops this send, or null. Dates travel as ISO strings through Temporal's payloads. */
    async checkSuppression(
      to: string,
      _asmGroupId?: number,
    ): Promise<{ reason: string; createdAt: string } | null> {
      const entry = await deps.suppressions.get(to);
      return entry ? { reason: entry.reason, createdAt: entry.createdAt.toISOString() } : null;
    },
  };
}
