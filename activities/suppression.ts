import type { SuppressionStore } from '../db/suppressions';

/** The entry that stops a send. Dates travel as ISO strings through Temporal's payloads. */
export interface SuppressionHit {
  reason: string;
  createdAt: string;
  /** null for the global entry; the ASM group otherwise. */
  groupId?: number | null;
  expiresAt?: string | null;
}

export function createSuppressionActivities(deps: { suppressions: SuppressionStore }) {
  return {
    /**
     * The entry that stops this send, or null: the address's global entry, or the entry for the email's
     * ASM group. An email without a group is stopped only by a global entry.
     */
    async checkSuppression(to: string, asmGroupId?: number): Promise<SuppressionHit | null> {
      const entry = await deps.suppressions.forSend(to, asmGroupId ?? null);
      if (!entry) return null;
      return {
        reason: entry.reason,
        createdAt: entry.createdAt.toISOString(),
        groupId: entry.groupId ?? null,
        expiresAt: entry.expiresAt?.toISOString() ?? null,
      };
    },
  };
}
