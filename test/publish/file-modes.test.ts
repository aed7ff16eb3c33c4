/**
 * Where data lives (issue 12, src/file-modes.ts, src/run/output-directory.ts):
 * under a permissive umask a run leaves everything under <out> owner-only
 * (0700/0600) but export/ (0755/0644), and gives the umask back; a pulled
 * delivery is owner-only from its staging directory on; no exported file
 * holds a pseudonym of the delivery; and an output directory whose entries
 * are links elsewhere, or the wrong kind of file, is refused before anything
 * is written.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { exitCodeFor, messageFor, type PipelineError, PipelineFailure } from '../../src/errors.js';
import { ensurePrivateDir, holdOwnerOnlyUmask, makeExportReadable, makePrivate } from '../../src/file-modes.js';
import { pullDeliveries } from '../../src/pull/index.js';
import { checkOutputDirectory } from '../../src/run/output-directory.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { type SourceServer, startDeliverySource } from '../support/delivery-source.js';
import { runCli } from '../support/run-cli.js';
import { makeSmallWorld, type SmallWorld } from '../support/small-world.js';

const PERMISSIVE_UMASK = 0o022;
const PSEUDONYM = /P[0-9a-f]{10}/g;

function modeOf(path: string): string {
  return (lstatSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

/** Runs `action` under `umask`, then gives the previous umask back; returns what `action` did and the umask it left. */
async function underUmask<T>(umask: number, action: () => Promise<T>): Promise<{ result: T; umaskAfter: number }> {
  const previous = process.umask(umask);
  try {
    const result = await action();
    return { result, umaskAfter: process.umask(previous) };
  } finally {
    process.umask(previous);
  }
}

/** Every path under `root` (not root itself) with its mode, symbolic links left out. */
function modesUnder(root: string): Map<string, string> {
  const modes = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isSymbolicLink()) continue;
      modes.set(relative(root, path), modeOf(path));
      if (stats.isDirectory()) walk(path);
    }
  };
  walk(root);
  return modes;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function failureOf(promise: Promise<unknown>): Promise<PipelineError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(PipelineFailure);
  return (thrown as PipelineFailure).error;
}

describe('the file-mode helpers, under umask 000', () => {
  let previous: number;
  beforeAll(() => {
    previous = process.umask(0);
  });
  afterAll(() => {
    process.umask(previous);
  });

  test('ensurePrivateDir creates every missing directory 0700 and makes an existing one 0700', () => {
    const root = makeTempDir();
    ensurePrivateDir(join(root, 'a', 'b', 'c'));
    expect([modeOf(join(root, 'a')), modeOf(join(root, 'a', 'b')), modeOf(join(root, 'a', 'b', 'c'))]).toEqual(['0700', '0700', '0700']);
    mkdirSync(join(root, 'open'), { mode: 0o777 });
    ensurePrivateDir(join(root, 'open'));
    expect(modeOf(join(root, 'open'))).toBe('0700');
  });

  test('makePrivate makes a tree 0700/0600, skips what is excepted, and leaves a linked file outside alone', () => {
    const root = makeTempDir();
    const outside = join(makeTempDir(), 'outside.txt');
    writeFileSync(outside, 'x', { mode: 0o644 });
    mkdirSync(join(root, 'tree', 'inner'), { recursive: true, mode: 0o777 });
    mkdirSync(join(root, 'tree', 'kept'), { mode: 0o755 });
    writeFileSync(join(root, 'tree', 'inner', 'file.parquet'), 'x', { mode: 0o666 });
    writeFileSync(join(root, 'tree', 'kept', 'file.csv'), 'x', { mode: 0o644 });
    symlinkSync(outside, join(root, 'tree', 'link'));
    makePrivate(join(root, 'tree'), { except: [join(root, 'tree', 'kept')] });
    expect(Object.fromEntries(modesUnder(join(root, 'tree')))).toEqual({
      inner: '0700',
      'inner/file.parquet': '0600',
      kept: '0755',
      'kept/file.csv': '0644',
    });
    expect(modeOf(join(root, 'tree'))).toBe('0700');
    expect(modeOf(outside)).toBe('0644');
    makePrivate(join(root, 'no-such-file.wal'));
  });

  test('makeExportReadable makes a tree 0755/0644', () => {
    const root = makeTempDir();
    mkdirSync(join(root, 'export', 'tables'), { recursive: true, mode: 0o700 });
    writeFileSync(join(root, 'export', 'tables', 'table1.csv'), 'x', { mode: 0o600 });
    makeExportReadable(join(root, 'export'));
    expect(Object.fromEntries(modesUnder(root))).toEqual({ export: '0755', 'export/tables': '0755', 'export/tables/table1.csv': '0644' });
  });

  test('while the owner-only umask is held a new file is 0600, and the umask is given back after', () => {
    const root = makeTempDir();
    const release = holdOwnerOnlyUmask();
    writeFileSync(join(root, 'held.txt'), 'x');
    release();
    writeFileSync(join(root, 'released.txt'), 'x');
    expect([modeOf(join(root, 'held.txt')), modeOf(join(root, 'released.txt'))]).toEqual(['0600', '0666']);
  });
});

describe('a run under umask 022', () => {
  let world: SmallWorld;
  let runDir: string;
  let umaskAfter: number;

  beforeAll(async () => {
    world = await makeSmallWorld();
    const ran = await underUmask(PERMISSIVE_UMASK, () => runStudy({ loaded: loadStudyConfig(world.config), force: true }));
    expect(ran.result.status).toBe('published');
    runDir = ran.result.runDir;
    umaskAfter = ran.umaskAfter;
  }, 600_000);

  test('gives the process its umask back', () => {
    expect(umaskAfter.toString(8)).toBe(PERMISSIVE_UMASK.toString(8));
  });

  test('leaves every directory under <out> 0700 and every file 0600, but export/ 0755 and its files 0644', () => {
    const runPath = relative(world.output, runDir);
    const exportPath = join(runPath, 'export');
    const modes = modesUnder(world.output);
    const wrong = [...modes].filter(([path, mode]) => {
      const isExport = path === exportPath || path.startsWith(`${exportPath}/`);
      const isDirectory = statSync(join(world.output, path)).isDirectory();
      const expected = isExport ? (isDirectory ? '0755' : '0644') : isDirectory ? '0700' : '0600';
      return mode !== expected;
    });
    expect(wrong).toEqual([]);
    expect(modeOf(world.output)).toBe('0700');
    // What the assertion above covers: the person-level files are there.
    for (const path of ['warehouse.duckdb', 'history.jsonl', 'runs', join(runPath, 'manifest.json'), join(runPath, 'restricted')]) {
      expect(modes.has(path), path).toBe(true);
    }
    const restricted = [...modes.keys()].filter((path) => path.startsWith(join(runPath, 'restricted/')));
    expect(restricted.filter((path) => path.endsWith('.parquet')).length).toBeGreaterThan(6);
    expect(restricted.some((path) => path.includes('panel/event_month='))).toBe(true);
    expect([...modes.keys()].filter((path) => path.startsWith(`${exportPath}/`)).length).toBeGreaterThan(20);
    if (existsSync(join(world.output, '.tmp'))) expect(modeOf(join(world.output, '.tmp'))).toBe('0700');
  });

  test('no exported file holds a person_id of the delivery or anything shaped like a pseudonym', async () => {
    const personIds = new Set(
      world.deliveryDirs
        .filter((dir) => existsSync(join(dir, 'persons.csv.gz')))
        .flatMap((dir) =>
          gunzipSync(readFileSync(join(dir, 'persons.csv.gz')))
            .toString('utf8')
            .split('\n')
            .slice(1)
            .filter((line) => line.length > 0)
            .map((line) => line.split(',')[0]!),
        ),
    );
    expect(personIds.size).toBeGreaterThan(1000);
    const pseudonymsIn = async (file: string) => {
      const text = await readableText(file);
      const tokens = text.match(/[A-Za-z0-9]+/g) ?? [];
      const name = relative(runDir, file);
      return [
        ...tokens.filter((token) => personIds.has(token)).map((token) => `${name}: person_id ${token}`),
        ...(text.match(PSEUDONYM) ?? []).map((match) => `${name}: ${match}`),
      ];
    };
    // The scan finds them where they are.
    expect((await pseudonymsIn(join(runDir, 'restricted', 'cohort.parquet'))).length).toBeGreaterThan(1000);
    const found: string[] = [];
    for (const file of filesUnder(join(runDir, 'export'))) found.push(...(await pseudonymsIn(file)));
    expect(found).toEqual([]);
  });
});

/** A file of export/ as text: Parquet rows and key-value metadata through DuckDB, Arrow rows and schema, text as is. */
async function readableText(path: string): Promise<string> {
  const asJson = (value: unknown) => JSON.stringify(value, (_, item) => (typeof item === 'bigint' ? item.toString() : item));
  if (path.endsWith('.parquet')) {
    return withDatabase(async (db) => {
      const rows = await db.query<Record<string, unknown>>('scan rows', 'select * from read_parquet($path)', { path });
      const metadata = await db.query<Record<string, unknown>>(
        'scan metadata',
        'select key::varchar as key, value::varchar as value from parquet_kv_metadata($path)',
        { path },
      );
      return asJson([rows, metadata]);
    });
  }
  if (path.endsWith('.arrow')) {
    const table = tableFromIPC(readFileSync(path));
    return asJson([
      table.toArray().map((row) => row.toJSON()),
      [...table.schema.metadata],
      table.schema.fields.map((field) => [...field.metadata]),
    ]);
  }
  if (/\.(csv|md|html|json)$/.test(path)) return readFileSync(path, 'utf8');
  throw new Error(`${path}: no reader for this kind of export file; add one to the scan`);
}

describe('a pull under umask 022', () => {
  let sourceRoot: string;
  let source: SourceServer;
  const stagingModes: string[] = [];

  beforeAll(async () => {
    sourceRoot = makeTempDir('ipslink-modes-source-');
    await synthesizeDelivery({ outDir: join(sourceRoot, 'synth-9'), persons: 300, seed: 9, deliveries: 1 });
    const [delivery] = readdirSync(sourceRoot);
    source = await startDeliverySource((path) => {
      if (path === 'index.json') return Buffer.from(JSON.stringify([delivery]));
      const file = join(sourceRoot, path);
      return existsSync(file) ? readFileSync(file) : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await source.close();
  });

  test('places the delivery owner-only (0700/0600), and its staging directory is 0700 while files arrive', async () => {
    const landing = makeTempDir('ipslink-modes-landing-');
    const [delivery] = readdirSync(sourceRoot);
    const manifest = JSON.parse(readFileSync(join(sourceRoot, delivery!, 'delivery.json'), 'utf8')) as { files: { name: string }[] };
    const last = manifest.files.at(-1)!.name;
    source.misbehave(`${delivery}/${last}`, {
      beforeServe: () => {
        for (const name of readdirSync(landing).filter((entry) => entry.startsWith('.pull-'))) {
          stagingModes.push(modeOf(join(landing, name)));
          for (const file of readdirSync(join(landing, name))) stagingModes.push(modeOf(join(landing, name, file)));
        }
      },
    });
    const { result } = await underUmask(PERMISSIVE_UMASK, () =>
      pullDeliveries({
        pull: { url: source.url, concurrency: 1, timeout_seconds: 5, retries: 1 },
        landing,
        deliveries: 'all',
        backoffMs: 5,
      }),
    );
    expect(result.fetched).toEqual([delivery]);
    expect(stagingModes[0]).toBe('0700');
    expect(stagingModes.slice(1).length).toBeGreaterThan(0);
    expect(new Set(stagingModes.slice(1))).toEqual(new Set(['0600']));
    expect(modeOf(join(landing, delivery!))).toBe('0700');
    const modes = modesUnder(join(landing, delivery!));
    expect([...modes.keys()].sort()).toEqual(['delivery.json', ...manifest.files.map((file) => file.name)].sort());
    expect(new Set(modes.values())).toEqual(new Set(['0600']));
  });
});

describe('an output directory whose entries are not what ipslink wrote', () => {
  let world: SmallWorld;

  beforeAll(async () => {
    world = await makeSmallWorld({ synthesize: false });
  });

  test('a warehouse.duckdb linked elsewhere: `ipslink run --quiet` exits 2 with one line and writes nothing at the link target', async () => {
    const elsewhere = join(makeTempDir('ipslink-elsewhere-'), 'warehouse.duckdb');
    mkdirSync(world.output);
    symlinkSync(elsewhere, join(world.output, 'warehouse.duckdb'));
    const exit = await runCli(['run', '--config', world.config, '--quiet']);
    expect(exit.code).toBe(2);
    expect(exit.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(`${join(world.output, 'warehouse.duckdb')} is a symbolic link, not a regular file`),
    ]);
    expect(existsSync(elsewhere)).toBe(false);
    expect(readdirSync(world.output)).toEqual(['warehouse.duckdb']);
  });

  test.each([
    ['history.jsonl', 'file', 'a symbolic link, not a regular file'],
    ['warehouse.duckdb.wal', 'file', 'a symbolic link, not a regular file'],
    ['runs', 'directory', 'a symbolic link, not a directory'],
    ['.tmp', 'directory', 'a symbolic link, not a directory'],
    ['current', 'directory', 'a symbolic link to outside runs/, not a symbolic link to a run under runs/'],
  ] as const)('%s linked to a %s elsewhere is refused (exit 2, one line), and nothing is written there', async (name, kind, says) => {
    const output = join(makeTempDir('ipslink-unsafe-'), 'out');
    const target = join(makeTempDir('ipslink-elsewhere-'), name);
    if (kind === 'directory') mkdirSync(target);
    else writeFileSync(target, '');
    mkdirSync(output);
    symlinkSync(target, join(output, name));
    const error = await failureOf(runStudy({ loaded: loadStudyConfig(world.config), output, force: true }));
    expect(error.code).toBe('output_path_unsafe');
    expect(exitCodeFor(error)).toBe(2);
    expect(messageFor(error)).toContain(`${join(output, name)} is ${says}`);
    expect(messageFor(error)).not.toContain('\n');
    expect(readdirSync(output)).toEqual([name]);
    if (kind === 'directory') expect(readdirSync(target)).toEqual([]);
    else expect(statSync(target).size).toBe(0);
  });

  test.each([
    ['runs', 'a regular file, not a directory'],
    ['current', 'a regular file, not a symbolic link to a run under runs/'],
  ])('%s as a regular file is refused', (name, says) => {
    const output = makeTempDir('ipslink-unsafe-');
    writeFileSync(join(output, name), '');
    expect(() => checkOutputDirectory(output)).toThrow(`${join(output, name)} is ${says}`);
  });

  test('warehouse.duckdb as a directory is refused', () => {
    const output = makeTempDir('ipslink-unsafe-');
    mkdirSync(join(output, 'warehouse.duckdb'));
    expect(() => checkOutputDirectory(output)).toThrow('warehouse.duckdb is a directory, not a regular file');
  });

  test('current linked to a run under runs/, relatively or absolutely, is accepted', () => {
    const output = makeTempDir('ipslink-safe-');
    mkdirSync(join(output, 'runs', '20260101T000000Z-abcdef'), { recursive: true });
    symlinkSync('runs/20260101T000000Z-abcdef', join(output, 'current'));
    expect(() => checkOutputDirectory(output)).not.toThrow();
    const absolute = makeTempDir('ipslink-safe-');
    mkdirSync(join(absolute, 'runs', '20260101T000000Z-abcdef'), { recursive: true });
    symlinkSync(join(absolute, 'runs', '20260101T000000Z-abcdef'), join(absolute, 'current'));
    expect(() => checkOutputDirectory(absolute)).not.toThrow();
  });
});
