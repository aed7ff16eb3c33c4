/** The progress display: drawn on a terminal, absent in a pipe, with --quiet and with JSON logs. */
import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { setLogging } from '../src/log.js';
import { progressEnabled } from '../src/progress.js';
import { CLI_MAIN } from './support/run-cli.js';
import { makeSmallWorld, type SmallWorld } from './support/small-world.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
let world: SmallWorld;

beforeAll(async () => {
  world = await makeSmallWorld({ persons: 300 });
}, 60_000);

/** `ipslink validate` with stderr on a pseudo-terminal (script(1)), or piped; returns what reached stderr. */
function validate(extra: string[], onTerminal: boolean): string {
  const args = [CLI_MAIN, 'validate', '--config', world.config, ...extra];
  if (!onTerminal) return spawnSync(process.execPath, args, { encoding: 'utf8' }).stderr;
  const command = [process.execPath, ...args].map((arg) => `'${arg}'`).join(' ');
  return execFileSync('script', ['-qec', `${command} >/dev/null`, '/dev/null'], { encoding: 'utf8' });
}

const BAR = /validate [░█]+ \d\/2 stages/;

describe('the progress display', () => {
  test.skipIf(!hasScript)('is drawn on a terminal, above which the log lines still appear', () => {
    const output = validate([], true);
    expect(output).toMatch(BAR);
    expect(output).toContain('persons.csv.gz: ');
  });

  test.skipIf(!hasScript)('is not drawn on a terminal with --quiet or --log-format json', () => {
    expect(validate(['--quiet'], true)).not.toMatch(BAR);
    expect(validate(['--log-format', 'json'], true)).not.toMatch(BAR);
  });

  test('is not drawn into a pipe', () => {
    const stderr = validate([], false);
    expect(stderr).not.toMatch(BAR);
    expect(stderr).not.toContain('\u001b[');
    expect(stderr).toContain('[ingest]');
  });

  test('is enabled only for a terminal with text logs and without --quiet', () => {
    const terminal = { isTTY: true } as NodeJS.WriteStream;
    try {
      setLogging({ quiet: false, format: 'text' });
      expect(progressEnabled({ isTTY: false } as NodeJS.WriteStream)).toBe(false);
      expect(progressEnabled(terminal)).toBe(true);
      setLogging({ quiet: true });
      expect(progressEnabled(terminal)).toBe(false);
      setLogging({ quiet: false, format: 'json' });
      expect(progressEnabled(terminal)).toBe(false);
    } finally {
      // test/support/setup.ts keeps tests quiet.
      setLogging({ quiet: true, format: 'text' });
    }
  });
});
