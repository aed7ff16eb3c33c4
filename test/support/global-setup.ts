/**
 * One temporary directory per `vitest run`, removed when the run ends: every
 * test's temporary directories (makeTempDir, mkdtemp under os.tmpdir(), the
 * CLI's child processes, which inherit TMPDIR) go under it. Before, most
 * tests left theirs behind, a few hundred MB of synthetic deliveries and
 * warehouses per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ipslink-vitest-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
