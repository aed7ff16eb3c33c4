/**
 * The allocator settings (src/run/allocator-env.ts): which commands start
 * again under them, that a user's own settings stay, that DuckDB's jemalloc
 * reads its setting, and that the relaunched command's exit code or signal
 * is the launcher's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ALLOCATOR_ENV, needsAllocatorEnv, withAllocatorEnv } from '../../src/run/allocator-env.js';

const PROBE = 'test/support/relaunch-probe.ts';

describe('needsAllocatorEnv', () => {
  test.each([
    [['node', 'ipslink', 'run'], {}, 'linux', true],
    [['node', 'ipslink', 'validate', '--config', 'x'], {}, 'linux', true],
    [['node', 'ipslink', 'synth'], {}, 'linux', false],
    [['node', 'ipslink', '--log-format', 'json', 'run'], {}, 'linux', true],
    [['node', 'ipslink', 'runs'], {}, 'linux', false],
    [['node', 'ipslink', '--help'], {}, 'linux', false],
    [['node', 'ipslink', 'status'], {}, 'linux', false],
    [['node', 'ipslink'], {}, 'linux', false],
    [['node', 'ipslink', 'run'], { MALLOC_ARENA_MAX: '8' }, 'linux', true],
    [['node', 'ipslink', 'run'], { DUCKDB_JE_MALLOC_CONF: 'narenas:1' }, 'linux', true],
    [['node', 'ipslink', 'run'], { MALLOC_ARENA_MAX: '8', DUCKDB_JE_MALLOC_CONF: 'narenas:1' }, 'linux', false],
    [['node', 'ipslink', 'run'], {}, 'darwin', false],
  ] as const)('%j with %j on %s: %s', (argv, env, platform, expected) => {
    expect(needsAllocatorEnv(argv, env, platform)).toBe(expected);
  });
});

test("withAllocatorEnv adds the settings and keeps the user's own", () => {
  expect(withAllocatorEnv({ PATH: '/bin' })).toEqual({ ...ALLOCATOR_ENV, PATH: '/bin' });
  expect(withAllocatorEnv({ MALLOC_ARENA_MAX: '4' })).toEqual({ ...ALLOCATOR_ENV, MALLOC_ARENA_MAX: '4' });
  expect(withAllocatorEnv({ DUCKDB_JE_MALLOC_CONF: 'narenas:1' }).DUCKDB_JE_MALLOC_CONF).toBe('narenas:1');
});

describe.runIf(process.platform === 'linux')("DuckDB's jemalloc", () => {
  // jemalloc complains on stderr, once, about a setting it cannot take; one it never reads it passes over in silence
  const loadDuckDb = (conf: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', "await import('@duckdb/node-api')"], {
      encoding: 'utf8',
      env: { ...process.env, DUCKDB_JE_MALLOC_CONF: conf },
    });

  test('reads DUCKDB_JE_MALLOC_CONF when DuckDB loads, and takes the setting given there', () => {
    expect(loadDuckDb('dirty_decay_ms:soon').stderr).toContain('<jemalloc>: Invalid conf value: dirty_decay_ms:soon');
    const ours = loadDuckDb(ALLOCATOR_ENV.DUCKDB_JE_MALLOC_CONF!);
    expect(ours.status).toBe(0);
    expect(ours.stderr).not.toContain('<jemalloc>');
  });
});

describe.runIf(process.platform === 'linux')('relaunchWithAllocatorEnv', () => {
  const env = { ...process.env };
  for (const name of Object.keys(ALLOCATOR_ENV)) delete env[name];
  const probe = (end: string) => spawnSync(process.execPath, ['--import', 'tsx', PROBE, 'run', end], { encoding: 'utf8', env });
  // alive and not a zombie (an orphan's zombie stays where nothing reaps it, as under a container's shell)
  const isRunning = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
    } catch {
      return false;
    }
  };

  test('runs the command again under the settings and exits with its code', () => {
    const result = probe('3');
    expect(JSON.parse(result.stdout)).toEqual(ALLOCATOR_ENV);
    expect(result.status).toBe(3);
  });

  test('ends by the signal that ended the command', () => {
    const result = probe('SIGTERM');
    expect(result.status).toBeNull();
    expect(result.signal).toBe('SIGTERM');
  });

  test('a launcher killed with SIGKILL takes the command with it', async () => {
    const launcher = spawn(process.execPath, ['--import', 'tsx', PROBE, 'run', 'wait'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => launcher.stdout.once('data', (data) => resolve(Number(String(data).trim()))));
    expect(isRunning(pid)).toBe(true);
    launcher.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isRunning(pid)).toBe(false);
  });
});
