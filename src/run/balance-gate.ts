/**
 * The balance gate: after matching, every covariate (level) must have
 * |SMD| at or below the study's limit (default 0.1). A failing gate fails
 * the run's audit (audit.ts): the run is kept as failed_audit, never
 * published, and the summary says which covariate failed.
 */
import type { Database } from '../db/database.js';
import { covariateLabel } from '../match/design-matrix.js';

export interface BalanceGate {
  limit: number;
  passed: boolean;
  max_abs_smd_after: number | null;
  worst: string | null;
  failing: { covariate: string; level: string; smd_after: number }[];
}

export async function checkBalanceGate(db: Database, limit: number): Promise<BalanceGate> {
  const rows = await db.query<{ covariate: string; level: string; smd_after: number }>(
    'balance gate',
    `select covariate, level, smd_after from balance where smd_after is not null
     order by abs(smd_after) desc, covariate, level`,
  );
  const worst = rows[0];
  const failing = rows.filter((row) => Math.abs(row.smd_after) > limit);
  return {
    limit,
    passed: failing.length === 0,
    max_abs_smd_after: worst ? Math.abs(worst.smd_after) : null,
    worst: worst ? covariateLabel(worst.covariate, worst.level || null) : null,
    failing,
  };
}
