/**
 * One temporary directory per `vitest run`, removed when the run ends: every
 * test's temporary directories (makeTempDir, mkdtemp under os.tmpdir(), the
 * CLI's child processes, which inherit TMPDIR) go under it. Before, most
 * tests left theirs behind, a few hundred MB of synthetic deliveries and
 * warehouses per run.
 *
 * And the compiled CLI the tests start (run-cli.ts) brought up to date with
 * the sources: `make build` compiles dist/ when a source changed and does
 * nothing otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './run-cli.js';

export default function setup(): () => void {
  execFileSync('make', ['--no-print-directory', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const root = mkdtempSync(join(tmpdir(), 'ipslink-vitest-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
