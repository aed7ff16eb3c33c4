/** The exit-code table: one definition, printed by --help and copied into README.md unchanged. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { exitCodeFor } from '../src/errors.js';
import { EXIT_CODES, exitCodeMarkdown, exitCodeText } from '../src/exit-codes.js';
import { makeTempDir } from './support/delivery.js';
import { CLI_MAIN } from './support/run-cli.js';

function between(text: string, start: string, end: string): string {
  return text.slice(text.indexOf(start) + start.length, text.indexOf(end)).trim();
}

describe('exit codes', () => {
  test('README.md holds the table exactly as src/exit-codes.ts renders it', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(between(readme, '<!-- exit-codes:start -->', '<!-- exit-codes:end -->')).toBe(exitCodeMarkdown());
  });

  test('--help ends with the table', () => {
    const help = execFileSync(process.execPath, [CLI_MAIN, '--help'], { encoding: 'utf8' });
    expect(help.trimEnd().endsWith(exitCodeText())).toBe(true);
    for (const exit of Object.values(EXIT_CODES)) expect(help).toContain(exit.name);
  });

  test('a no-op after a failed audit exits as that audit did', () => {
    expect(exitCodeFor({ code: 'no_op_after_failed_audit', runId: 'r', exitAs: 'balance_gate_failed' })).toBe(EXIT_CODES.balance_gate.code);
    expect(exitCodeFor({ code: 'no_op_after_failed_audit', runId: 'r', exitAs: 'data_quality_breach' })).toBe(EXIT_CODES.data_quality.code);
    expect(exitCodeFor({ code: 'balance_gate_failed', runId: 'r', maxAbsSmd: 0.2, threshold: 0.1 })).toBe(8);
  });

  test('a usage error exits 2 with one line, as text or as one JSON object', () => {
    const text = spawnSync(process.execPath, [CLI_MAIN, 'frobnicate'], { encoding: 'utf8' });
    expect(text.status).toBe(EXIT_CODES.usage.code);
    const json = spawnSync(process.execPath, [CLI_MAIN, 'frobnicate', '--log-format', 'json'], {
      encoding: 'utf8',
    });
    const lines = json.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', event: 'command_failed', code: 'usage', exit_code: 2 });
  });

  test('an error no await catches still ends as one line and exit 70, without a stack trace', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', './test/support/throw-outside-await.mjs', CLI_MAIN, 'runs', '--config', 'config/demo.yaml', '--out', makeTempDir()],
      { encoding: 'utf8' },
    );
    expect(result.status).toBe(EXIT_CODES.internal.code);
    expect(result.stderr).toBe('ipslink: internal error: thrown outside any await\n');
  });
});
