/**
 * The committed scheduling files (ops/systemd, ops/cron) and docs/operations.md:
 * the units pass `systemd-analyze verify`, the cron line is a cron line that
 * runs `ipslink run` with JSON logs, and the doc carries the exit-code table
 * unchanged and names only commands that exist.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { exitCodeMarkdown } from '../../src/exit-codes.js';
import { CLI_MAIN } from '../support/run-cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SERVICE = 'ipslink-nightly.service';
const TIMER = 'ipslink-nightly.timer';
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const service = read(`ops/systemd/${SERVICE}`);
const timer = read(`ops/systemd/${TIMER}`);
const cron = read('ops/cron/ipslink.cron');
const doc = read('docs/operations.md');

/** The values of `key=` in a unit file, in order. */
function unitValues(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

const execStart = unitValues(service, 'ExecStart')[0] ?? '';

const hasSystemdAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).status === 0;

describe('systemd units', () => {
  test('a oneshot service as user ipslink, with the memory cap, low priority and the token file', () => {
    const one = (key: string) => unitValues(service, key);
    expect(one('Type')).toEqual(['oneshot']);
    expect(one('User')).toEqual(['ipslink']);
    expect(one('Group')).toEqual(['ipslink']);
    expect(one('EnvironmentFile')).toEqual(['-/etc/ipslink/pull.env']);
    expect(one('MemoryMax')).toHaveLength(1);
    expect(one('Nice')).toEqual(['10']);
    expect(one('IOSchedulingClass')).toEqual(['idle']);
    expect(one('UMask')).toEqual(['0077']);
    expect(one('NoNewPrivileges')).toEqual(['yes']);
    expect(one('ProtectSystem')).toEqual(['strict']);
    expect(one('ReadWritePaths')).toHaveLength(1);
    expect(one('PrivateTmp')).toEqual(['yes']);
    // Only exit 0 is success; no secret goes into the unit.
    expect(one('SuccessExitStatus')).toEqual([]);
    expect(one('Environment')).toEqual([]);
    expect(execStart).toMatch(/^\/\S+ .*\bipslink(\.js)? run --config \/etc\/ipslink\/study\.yaml --log-format json$/);
  });

  test('a nightly, persistent timer with a random delay', () => {
    expect(unitValues(timer, 'OnCalendar')).toEqual(['*-*-* 02:30:00']);
    expect(unitValues(timer, 'Persistent')).toEqual(['true']);
    expect(unitValues(timer, 'RandomizedDelaySec')).toHaveLength(1);
    expect(unitValues(timer, 'WantedBy')).toEqual(['timers.target']);
  });

  describe.skipIf(!hasSystemdAnalyze)('systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipslink-units-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /**
     * The units as they would be installed on this machine: verify refuses an
     * ExecStart binary that does not exist, and may refuse an unknown user, so
     * the program, paths and user are ones that exist here; every other line
     * is the committed one.
     */
    function localUnits(extraServiceLines = ''): string[] {
      const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
      const [, , ...args] = execStart.split(' ');
      const replacements: [RegExp, string][] = [
        [/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${join(ROOT, 'bin', 'ipslink.js')} ${args.join(' ')}`],
        [/^WorkingDirectory=.*$/m, `WorkingDirectory=${ROOT}`],
        [/^ReadWritePaths=.*$/m, `ReadWritePaths=${dir}`],
        [/^User=.*$/m, `User=${userInfo().username}`],
        [/^Group=.*$/m, `Group=${group}`],
      ];
      let local = service;
      for (const [pattern, line] of replacements) {
        expect(local).toMatch(pattern);
        local = local.replace(pattern, line);
      }
      writeFileSync(join(dir, SERVICE), local + extraServiceLines);
      writeFileSync(join(dir, TIMER), timer);
      return [join(dir, SERVICE), join(dir, TIMER)];
    }

    /** Exit status and the lines of output about our two units (warnings about other units of this machine are not ours). */
    function verify(paths: string[]): { status: number | null; lines: string[] } {
      const result = spawnSync('systemd-analyze', ['verify', ...paths], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0' } });
      const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.includes('ipslink-nightly'));
      return { status: result.status, lines };
    }

    test('the service and the timer pass without a word about them', () => {
      expect(verify(localUnits())).toEqual({ status: 0, lines: [] });
    });

    test('a bad setting would be reported (the check above can fail)', () => {
      const { lines } = verify(localUnits('Nice=100\n'));
      expect(lines.join('\n')).toMatch(/ipslink-nightly\.service.*Nice/);
    });
  });
});

describe('cron line', () => {
  const lines = cron.split('\n').filter((line) => line.trim() && !line.trimStart().startsWith('#'));

  test('one line: five time fields and a command running ipslink run with JSON logs', () => {
    expect(lines).toHaveLength(1);
    const fields = lines[0]!.trim().split(/\s+/);
    const field = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
    for (const time of fields.slice(0, 5)) expect(time).toMatch(field);
    const command = fields.slice(5).join(' ');
    expect(command).toMatch(/\bipslink(\.js)? run\b/);
    expect(command).toContain('--log-format json');
    // cron turns % into a newline.
    expect(command).not.toContain('%');
  });

  test('runs the same program and arguments as the systemd service', () => {
    expect(lines[0]).toContain(execStart);
  });
});

describe('docs/operations.md', () => {
  test('holds the exit-code table exactly as src/exit-codes.ts renders it', () => {
    const start = '<!-- exit-codes:start -->';
    const end = '<!-- exit-codes:end -->';
    expect(doc).toContain(start);
    expect(doc).toContain(end);
    expect(doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end)).trim()).toBe(exitCodeMarkdown());
  });

  test('quotes the service ExecStart and the cron line as committed', () => {
    expect(doc).toContain(`ExecStart=${execStart}`);
    expect(doc).toContain(cron.split('\n').find((line) => /^\d/.test(line))!);
  });

  test('every `ipslink <command>` in its code is a command of ipslink --help', () => {
    const help = execFileSync(process.execPath, [CLI_MAIN, '--help'], { cwd: ROOT, encoding: 'utf8' });
    const commands = new Set([...help.matchAll(/^ {2}ipslink ([a-z]+)/gm)].map((match) => match[1]!));
    const code = [...doc.matchAll(/```[^\n]*\n([\s\S]*?)```|`([^`\n]+)`/g)].map((match) => match[1] ?? match[2]!).join('\n');
    // `ipslink.js run`, `ipslink runs`; not the user (`-u ipslink ops/...`) or paths.
    const documented = new Set([...code.matchAll(/\bipslink(?:\.js)? ([a-z]+)(?![\w/.:-])/g)].map((match) => match[1]!));
    for (const command of ['run', 'pull', 'runs', 'status', 'publish', 'query']) expect(documented).toContain(command);
    expect([...documented].filter((command) => !commands.has(command))).toEqual([]);
  });
});
