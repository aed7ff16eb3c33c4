/**
 * The installed entry point, bin/ipslink.js, in a tree laid out like an
 * install (package.json, bin/, sql/, node_modules/ beside it): without a
 * build it runs the sources through tsx; with `make build`'s dist/ copied
 * into the tree it runs the compiled CLI, prints the same --help as
 * the sources and loads neither tsx nor DuckDB, Arrow or Vega for it.
 * Module loads are recorded by a preload (a resolve hook for imports, and
 * require's cache for CommonJS). Start-up time is measured by `make bench`,
 * not here.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EXIT_CODES } from '../../src/exit-codes.js';
import { makeTempDir } from '../support/delivery.js';
import { REPO_ROOT, sourcesCliCommand } from '../support/run-cli.js';

const run = promisify(execFile);

/** A package under node_modules that --help from the build must not load. */
const HEAVY_OR_TSX = /\/node_modules\/(@duckdb\/|apache-arrow\/|vega[^/]*\/|tsx\/|esbuild\/)/;

const RECORD_LOADS = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const log = process.env.IPSLINK_TEST_LOADS;
register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { log } });
process.on('exit', () => {
  const cached = Object.keys(createRequire(import.meta.url).cache);
  appendFileSync(log, cached.map((path) => 'require ' + path + '\\n').join(''));
});
`;

const RECORD_LOADS_HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) {
  log = data.log;
}
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, 'import ' + resolved.url + '\\n');
  return resolved;
}
`;

let tree: string;
let work: string;

/** Runs `node [--import preload] <tree>/bin/ipslink.js <args>` from the repository root; with `loads`, also the modules it loaded. */
async function installed(args: string[], options: { recordLoads?: boolean } = {}) {
  const loadsFile = join(work, `loads-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(loadsFile, '');
  const preload = options.recordLoads ? ['--import', join(work, 'record-loads.mjs')] : [];
  const exit = await run(process.execPath, [...preload, join(tree, 'bin', 'ipslink.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, IPSLINK_TEST_LOADS: loadsFile },
  }).then(
    ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
    // a non-zero exit is returned, not thrown, for the tests of failures
    (error: { stdout: string; stderr: string; code: number }) => ({ stdout: error.stdout, stderr: error.stderr, code: error.code }),
  );
  const loads = readFileSync(loadsFile, 'utf8').split('\n').filter(Boolean);
  return { ...exit, loads };
}

async function fromSources(args: string[]) {
  const [file, ...rest] = sourcesCliCommand(args);
  return run(file, rest, { cwd: REPO_ROOT });
}

const withoutBuild: { help?: string; loads?: string[] } = {};

beforeAll(async () => {
  work = makeTempDir('ipslink-fast-start-');
  tree = join(work, 'ipslink');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'package.json'), join(tree, 'package.json'));
  copyFileSync(join(REPO_ROOT, 'bin', 'ipslink.js'), join(tree, 'bin', 'ipslink.js'));
  for (const dir of ['src', 'pipelines', 'sql', 'node_modules']) symlinkSync(join(REPO_ROOT, dir), join(tree, dir));
  writeFileSync(join(work, 'record-loads.mjs'), RECORD_LOADS);
  writeFileSync(join(work, 'record-loads-hooks.mjs'), RECORD_LOADS_HOOKS);

  // First as a checkout without a build, then with the build: a copy of the dist/ that `make build` made for this
  // test run (global-setup.ts), so the tree holds its own compiled code.
  const before = await installed(['--help'], { recordLoads: true });
  withoutBuild.help = before.stdout;
  withoutBuild.loads = before.loads;
  cpSync(join(REPO_ROOT, 'dist'), join(tree, 'dist'), { recursive: true });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('bin/ipslink.js', () => {
  test('without a build, runs the sources through tsx and prints the same --help as the sources', async () => {
    const sources = await fromSources(['--help']);
    expect(withoutBuild.help).toBe(sources.stdout);
    expect(withoutBuild.loads!.some((line) => line.endsWith('/src/cli/main.ts'))).toBe(true);
    expect(withoutBuild.loads!.some((line) => /\/node_modules\/tsx\//.test(line))).toBe(true);
  });

  test('after a build, prints the same --help as the sources', async () => {
    const [built, sources] = await Promise.all([installed(['--help']), fromSources(['--help'])]);
    expect(built.stdout).toBe(sources.stdout);
    expect(built.stdout).toContain('ipslink <command> [options]');
    expect(built.stderr).toBe('');
  });

  test('after a build, --help runs the compiled CLI and loads neither tsx nor DuckDB, Arrow or Vega', async () => {
    const { loads } = await installed(['--help'], { recordLoads: true });
    expect(loads).toContain(`import file://${realpathSync(tree)}/dist/src/cli/main.js`);
    expect(loads.filter((line) => line.endsWith('.ts'))).toEqual([]);
    expect(loads.filter((line) => HEAVY_OR_TSX.test(line))).toEqual([]);
  });

  test('after a build, runs loads neither DuckDB, Arrow nor Vega: the contracts build SQL without the database', async () => {
    const { loads } = await installed(['runs', '--config', 'config/demo.yaml', '--out', join(work, 'out')], { recordLoads: true });
    expect(loads.filter((line) => HEAVY_OR_TSX.test(line))).toEqual([]);
  });

  test('after a build, a run that publishes nothing (here: no delivery in landing) loads DuckDB but neither Arrow nor Vega', async () => {
    const landing = join(work, 'empty-landing');
    mkdirSync(landing, { recursive: true });
    const args = ['run', '--config', 'config/demo.yaml', '--landing', landing, '--out', join(work, 'out-no-delivery')];
    const { code, stderr, loads } = await installed(args, { recordLoads: true });
    expect(code, stderr).toBe(EXIT_CODES.delivery_refused.code);
    expect(loads.some((line) => /\/node_modules\/@duckdb\//.test(line))).toBe(true);
    expect(loads.filter((line) => /\/node_modules\/(apache-arrow|vega[^/]*)\//.test(line))).toEqual([]);
  });

  test('after a build, a command loads what it needs when it runs: runs and status print what they print from the sources', async () => {
    const out = join(work, 'out');
    const landing = join(work, 'landing');
    mkdirSync(landing, { recursive: true });
    for (const args of [
      ['runs', '--config', 'config/demo.yaml', '--out', out],
      ['status', '--config', 'config/demo.yaml', '--out', out, '--landing', landing],
    ]) {
      const [built, sources] = await Promise.all([installed(args), fromSources(args)]);
      expect(built.stdout).toBe(sources.stdout);
      expect(built.stderr).toBe(sources.stderr);
    }
  });

  test('the build finds sql/ and package.json at the package root and hashes its own code, not the sources', async () => {
    const script =
      "const root = await import(process.argv[1] + '/dist/src/package-root.js');" +
      "const db = await import(process.argv[1] + '/dist/src/db/database.js');" +
      'console.log(JSON.stringify({ packageRoot: root.PACKAGE_ROOT, codeRoot: root.CODE_ROOT, sqlDir: db.SQL_DIR }));';
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, realpathSync(tree)], { cwd: REPO_ROOT });
    const realTree = realpathSync(tree);
    expect(JSON.parse(stdout)).toEqual({ packageRoot: realTree, codeRoot: join(realTree, 'dist'), sqlDir: join(realTree, 'sql') });
  });
});
