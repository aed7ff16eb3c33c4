/**
 * `ipslink pull` (src/pull/index.ts, src/cli/pull-command.ts) against a local HTTP source serving two
 * synthesized deliveries, misbehaving per path on demand: 503s, stalls, cut-off bodies, ignored ranges,
 * wrong bodies, 404, 401 and redirects. A delivery lands complete or not at all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { pullCommand } from '../../src/cli/pull-command.js';
import { quoteLiteral } from '../../src/db/database.js';
import { exitCodeFor, messageFor, type PipelineError, PipelineFailure } from '../../src/errors.js';
import { setLogging } from '../../src/log.js';
import { type PullConfig, pullDeliveries } from '../../src/pull/index.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { type SourceServer, startDeliverySource } from '../support/delivery-source.js';
import { CLI_MAIN } from '../support/run-cli.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIRST = 'synth-7.1';
const SECOND = 'synth-7.2';
const TOKEN_ENV = 'IPSLINK_TEST_PULL_TOKEN';
const TOKEN = 'tok-3f9a-never-print-me';

let sourceRoot: string;

beforeAll(async () => {
  sourceRoot = makeTempDir('ipslink-pull-source-');
  await synthesizeDelivery({ outDir: join(sourceRoot, 'synth-7'), persons: 300, seed: 7, deliveries: 2 });
});

const servers: SourceServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  delete process.env[TOKEN_ENV];
});

/** Serves index.json (the two deliveries) and the files under sourceRoot; with `token`, only to that bearer. */
async function startSource(options: { token?: string } = {}): Promise<SourceServer> {
  const source = await startDeliverySource(contentOf, options);
  servers.push(source);
  return source;
}

function contentOf(path: string): Buffer | undefined {
  if (path === 'index.json') return Buffer.from(JSON.stringify([FIRST, SECOND]));
  const file = join(sourceRoot, path);
  return existsSync(file) ? readFileSync(file) : undefined;
}

function sourceFile(delivery: string, name: string): Buffer {
  return readFileSync(join(sourceRoot, delivery, name));
}

function manifestOf(delivery: string): { files: { name: string; row_count: number }[] } {
  return JSON.parse(sourceFile(delivery, 'delivery.json').toString('utf8'));
}

function pullConfig(url: string, overrides: Partial<PullConfig> = {}): PullConfig {
  return { url, concurrency: 2, timeout_seconds: 5, retries: 3, ...overrides };
}

async function pull(source: SourceServer, landing: string, overrides: Partial<PullConfig> = {}, deliveries: 'all' | string[] = 'all') {
  return pullDeliveries({ pull: pullConfig(source.url, overrides), landing, deliveries, backoffMs: 5 });
}

async function failureOf(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(PipelineFailure);
  return (error as PipelineFailure).error;
}

/** The delivery's directory holds exactly its delivery.json and listed files, byte for byte the source's. */
function expectLandedIntact(landing: string, delivery: string): void {
  const names = ['delivery.json', ...manifestOf(delivery).files.map((file) => file.name)].sort();
  expect(readdirSync(join(landing, delivery)).sort()).toEqual(names);
  for (const name of names) expect(readFileSync(join(landing, delivery, name)).equals(sourceFile(delivery, name)), name).toBe(true);
}

/** The JSON log lines written while `action` runs (logging is quiet in tests otherwise). */
async function logLinesOf(action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => lines.push(String(chunk)) > 0);
  setLogging({ quiet: false, format: 'json' });
  try {
    await action();
  } finally {
    setLogging({ quiet: true, format: 'text' });
    write.mockRestore();
  }
  return lines.map((line) => JSON.parse(line));
}

/** A delivery under the source root with a correct delivery.json, unless `rows` says otherwise. */
function writeSourceDelivery(id: string, files: { name: string; extract: string; bytes: Buffer; rows: number }[]): void {
  mkdirSync(join(sourceRoot, id));
  for (const file of files) writeFileSync(join(sourceRoot, id, file.name), file.bytes);
  const listed = files.map((file) => ({
    name: file.name,
    extract: file.extract,
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    row_count: file.rows,
  }));
  writeFileSync(join(sourceRoot, id, 'delivery.json'), JSON.stringify({ delivery_id: id, extract_date: '2021-06-30', files: listed }));
}

async function parquetWithRows(rows: number): Promise<Buffer> {
  const path = join(makeTempDir(), 'rows.parquet');
  await withDatabase((db) =>
    db.run('write parquet', `copy (select range as n from range(${rows})) to ${quoteLiteral(path)} (format parquet, row_group_size 500)`),
  );
  return readFileSync(path);
}

const EMPLOYMENT = `${FIRST}/employment_periods.csv.gz`;
const PERSONS = `${FIRST}/persons.csv.gz`;

describe('pullDeliveries', () => {
  test('fetches every delivery on offer into landing, byte-identical to the source; a second pull fetches nothing', async () => {
    const source = await startSource();
    const landing = join(makeTempDir(), 'landing');
    expect(await pull(source, landing)).toEqual({ fetched: [FIRST, SECOND], present: [] });
    expect(readdirSync(landing).sort()).toEqual([FIRST, SECOND]);
    expectLandedIntact(landing, FIRST);
    expectLandedIntact(landing, SECOND);

    source.requests.length = 0;
    expect(await pull(source, landing)).toEqual({ fetched: [], present: [FIRST, SECOND] });
    expect(source.requests.map((request) => request.path)).toEqual(['index.json']);
  });

  test('pulls only the deliveries asked for, from an index of {"deliveries": [...]} with objects; warns of one not offered', async () => {
    const source = await startSource();
    source.misbehave('index.json', { body: Buffer.from(JSON.stringify({ deliveries: [{ delivery_id: FIRST, size: 1 }, SECOND] })) });
    const landing = makeTempDir();
    const events = await logLinesOf(async () => {
      expect(await pull(source, landing, {}, [SECOND, 'synth-7.3'])).toEqual({ fetched: [SECOND], present: [] });
    });
    expect(readdirSync(landing)).toEqual([SECOND]);
    expect(source.requestsFor(`${FIRST}/delivery.json`)).toEqual([]);
    expect(events.find((event) => event.event === 'pull_not_offered')?.message).toContain('synth-7.3');
  });

  test('a plain CSV is counted as it arrives and a Parquet file from its footer', async () => {
    const source = await startSource();
    const csv = 'spell_id,person_id\r\n"S1","P1\r\nstill P1"\r\nS2,P2';
    const parquet = await parquetWithRows(1234);
    const files = [
      { name: 'benefit_spells.csv', extract: 'benefit_spells', bytes: Buffer.from(csv), rows: 2 },
      { name: 'persons.parquet', extract: 'persons', bytes: parquet, rows: 1234 },
    ];
    writeSourceDelivery('mixed.1', files);
    writeSourceDelivery('mixed.2', [{ ...files[1]!, rows: 1235 }]);
    source.misbehave('index.json', { body: Buffer.from(JSON.stringify(['mixed.1', 'mixed.2'])) });
    const landing = makeTempDir();
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({ delivery: 'mixed.2', reason: '1234 data rows, delivery.json says 1235 (downloaded twice)' });
    expect(readdirSync(landing)).toEqual(['mixed.1']);
    expectLandedIntact(landing, 'mixed.1');
  });

  test.each(['..', '../outside', '.hidden', 'a/b', ''])('an index listing %j is refused before any delivery is fetched', async (id) => {
    const source = await startSource();
    source.misbehave('index.json', { body: Buffer.from(JSON.stringify([FIRST, id])) });
    const landing = makeTempDir();
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', file: 'index.json' });
    expect(readdirSync(landing)).toEqual([]);
    expect(source.requests.map((request) => request.path)).toEqual(['index.json']);
  });

  test('503s are retried, each logged as pull_retry with its attempt number', async () => {
    const source = await startSource();
    source.misbehave(EMPLOYMENT, { failFirst: 2 });
    const events = await logLinesOf(() => pull(source, makeTempDir()));
    expect(source.requestsFor(EMPLOYMENT).map((request) => request.status)).toEqual([503, 503, 200]);
    const retries = events.filter((event) => event.event === 'pull_retry');
    expect(retries.map((event) => [event.path, event.attempt, event.detail])).toEqual([
      [EMPLOYMENT, 1, 'HTTP 503'],
      [EMPLOYMENT, 2, 'HTTP 503'],
    ]);
    const pulled = events.filter((event) => event.event === 'delivery_pulled');
    const rows = manifestOf(FIRST).files.reduce((sum, file) => sum + file.row_count, 0);
    expect(pulled[0]).toMatchObject({ delivery: FIRST, counts: { files: 5, rows } });
  });

  test.each([
    ['before the headers', undefined],
    ['after part of the body', 1000],
  ])('a request that goes silent %s times out and is retried', async (_label, afterBytes) => {
    const source = await startSource();
    source.misbehave(EMPLOYMENT, { stall: { times: 1, afterBytes } });
    const landing = makeTempDir();
    const started = performance.now();
    expect(await pull(source, landing, { timeout_seconds: 0.3 })).toEqual({ fetched: [FIRST, SECOND], present: [] });
    expect(performance.now() - started).toBeGreaterThan(300);
    expect(source.requestsFor(EMPLOYMENT)).toHaveLength(2);
    expectLandedIntact(landing, FIRST);
  });

  test('a body cut off midway is resumed with a Range request, and the file lands intact', async () => {
    const source = await startSource();
    const size = sourceFile(FIRST, 'employment_periods.csv.gz').length;
    source.misbehave(EMPLOYMENT, { truncateAfterBytes: Math.floor(size / 2) });
    const landing = makeTempDir();
    await pull(source, landing);
    const [first, second] = source.requestsFor(EMPLOYMENT);
    expect(first).toMatchObject({ range: undefined, status: 200 });
    expect(second?.status).toBe(206);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(Math.floor(size / 2));
    expectLandedIntact(landing, FIRST);
  });

  test('a source that answers a Range request with the whole file starts the file over, and it lands intact', async () => {
    const source = await startSource();
    const size = sourceFile(FIRST, 'employment_periods.csv.gz').length;
    source.misbehave(EMPLOYMENT, { truncateAfterBytes: Math.floor(size / 2), ignoreRange: true });
    const landing = makeTempDir();
    await pull(source, landing);
    const [, second] = source.requestsFor(EMPLOYMENT);
    expect(second?.range).toMatch(/^bytes=\d+-$/);
    expect(second?.status).toBe(200);
    expectLandedIntact(landing, FIRST);
  });

  test('a file that fails its sha256 is downloaded twice, then the delivery is refused and nothing of it stays in landing', async () => {
    const source = await startSource();
    source.misbehave(PERSONS, { body: sourceFile(SECOND, 'persons.csv.gz') });
    const landing = makeTempDir();
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', delivery: FIRST, file: 'persons.csv.gz' });
    expect(exitCodeFor(error)).toBe(4);
    expect(messageFor(error)).toMatch(/sha256 is [0-9a-f]{12}…, delivery\.json says [0-9a-f]{12}… \(downloaded twice\)/);
    expect(source.requestsFor(PERSONS)).toHaveLength(2);
    expect(readdirSync(landing)).toEqual([]);
  });

  test('a file whose data rows differ from its delivery.json row_count refuses the delivery', async () => {
    const source = await startSource();
    const manifest = manifestOf(FIRST);
    const persons = manifest.files.find((file) => file.name === 'persons.csv.gz')!;
    const actual = persons.row_count;
    persons.row_count += 1;
    source.misbehave(`${FIRST}/delivery.json`, { body: Buffer.from(JSON.stringify(manifest)) });
    const landing = makeTempDir();
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({
      code: 'pull_delivery_refused',
      file: 'persons.csv.gz',
      reason: `${actual} data rows, delivery.json says ${actual + 1} (downloaded twice)`,
    });
    expect(readdirSync(landing)).toEqual([]);
  });

  test('a delivery.json naming another delivery_id is refused', async () => {
    const source = await startSource();
    source.misbehave(`${FIRST}/delivery.json`, { body: sourceFile(SECOND, 'delivery.json') });
    const error = await failureOf(pull(source, makeTempDir()));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', delivery: FIRST, file: 'delivery.json' });
    expect(messageFor(error)).toContain(`its delivery_id is ${SECOND}`);
  });

  test('a delivery.json with a key outside the schema is refused without printing the key', async () => {
    const source = await startSource();
    const planted = 'P5ec7e7c0de';
    source.misbehave(`${FIRST}/delivery.json`, { body: Buffer.from(JSON.stringify({ ...manifestOf(FIRST), [planted]: 1 })) });
    const error = await failureOf(pull(source, makeTempDir()));
    expect(messageFor(error)).toContain('(top level): 1 unrecognized key(s)');
    expect(messageFor(error)).not.toContain(planted);
  });

  test('a listed file the source does not have (404) refuses the delivery at once, without retries', async () => {
    const source = await startSource();
    source.misbehave(PERSONS, { status: 404 });
    const landing = makeTempDir();
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', delivery: FIRST, file: 'persons.csv.gz' });
    expect(source.requestsFor(PERSONS)).toHaveLength(1);
    expect(readdirSync(landing)).toEqual([]);
  });

  test('a refused file cancels the downloads still running, without waiting for their timeout', async () => {
    const source = await startSource();
    source.misbehave(EMPLOYMENT, { stall: { times: 1, afterBytes: 1000 } });
    source.misbehave(`${FIRST}/trajectories.csv.gz`, { status: 404 });
    const landing = makeTempDir();
    const started = performance.now();
    const error = await failureOf(pull(source, landing, { timeout_seconds: 30 }));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', file: 'trajectories.csv.gz' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(source.requestsFor(EMPLOYMENT)).toHaveLength(1);
    expect(readdirSync(landing)).toEqual([]);
  });

  test('a source that keeps failing is unavailable after pull.retries retries (exit 69)', async () => {
    const source = await startSource();
    source.misbehave('index.json', { failFirst: 1000 });
    const error = await failureOf(pull(source, makeTempDir(), { retries: 2 }));
    expect(error).toMatchObject({ code: 'pull_source_unavailable', detail: 'index.json: HTTP 503 (3 attempts)' });
    expect(exitCodeFor(error)).toBe(69);
    expect(source.requestsFor('index.json')).toHaveLength(3);
  });

  test('a redirect is refused, not followed', async () => {
    const elsewhere = await startSource();
    const source = await startSource();
    source.misbehave('index.json', { redirectTo: `${elsewhere.url}index.json` });
    const error = await failureOf(pull(source, makeTempDir()));
    expect(error).toMatchObject({ code: 'pull_source_unavailable' });
    expect(messageFor(error)).toContain('index.json redirects elsewhere (HTTP 302)');
    expect(elsewhere.requests).toEqual([]);
  });

  test('staging directories of processes that are gone are removed at start; those of a live process stay', async () => {
    const source = await startSource();
    const landing = makeTempDir();
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(join(landing, `.pull-${FIRST}-${deadPid}`));
    mkdirSync(join(landing, `.pull-other-${process.pid}`));
    await pull(source, landing);
    expect(readdirSync(landing).sort()).toEqual([`.pull-other-${process.pid}`, FIRST, SECOND]);
  });

  test('a delivery another pull placed meanwhile is kept as it is, and this copy is discarded', async () => {
    const source = await startSource();
    const landing = makeTempDir();
    source.misbehave(EMPLOYMENT, {
      beforeServe: () => {
        cpSync(join(sourceRoot, FIRST), join(landing, FIRST), { recursive: true });
        writeFileSync(join(landing, FIRST, 'placed-by-the-other-pull'), '');
      },
    });
    expect(await pull(source, landing)).toEqual({ fetched: [SECOND], present: [FIRST] });
    expect(existsSync(join(landing, FIRST, 'placed-by-the-other-pull'))).toBe(true);
    expect(readdirSync(landing).sort()).toEqual([FIRST, SECOND]);
  });

  test('a landing directory holding the delivery without its delivery.json is refused, not overwritten', async () => {
    const source = await startSource();
    const landing = makeTempDir();
    mkdirSync(join(landing, FIRST));
    writeFileSync(join(landing, FIRST, 'persons.csv.gz'), 'half-copied by hand');
    const error = await failureOf(pull(source, landing));
    expect(error).toMatchObject({ code: 'pull_delivery_refused', delivery: FIRST });
    expect(readFileSync(join(landing, FIRST, 'persons.csv.gz'), 'utf8')).toBe('half-copied by hand');
  });
});

describe('pullDeliveries with a bearer token', () => {
  test('sends the token from token_env as a bearer header on every request', async () => {
    const source = await startSource({ token: TOKEN });
    process.env[TOKEN_ENV] = TOKEN;
    await pull(source, makeTempDir(), { token_env: TOKEN_ENV });
    expect(source.requests.length).toBeGreaterThan(2);
    expect(new Set(source.requests.map((request) => request.authorization))).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  test('an unset token variable fails before any request (exit 3)', async () => {
    const source = await startSource({ token: TOKEN });
    const error = await failureOf(pull(source, makeTempDir(), { token_env: TOKEN_ENV }));
    expect(error).toEqual({ code: 'pull_token_missing', variable: TOKEN_ENV });
    expect(exitCodeFor(error)).toBe(3);
    expect(source.requests).toEqual([]);
  });

  test('a wrong token is access refused (HTTP 401), not retried, and the message does not hold it', async () => {
    const source = await startSource({ token: TOKEN });
    process.env[TOKEN_ENV] = 'wrong-token-do-not-print';
    const error = await failureOf(pull(source, makeTempDir(), { token_env: TOKEN_ENV }));
    expect(messageFor(error)).toContain('access refused (HTTP 401); check the token');
    expect(messageFor(error)).not.toContain('wrong-token');
    expect(exitCodeFor(error)).toBe(69);
    expect(source.requests).toHaveLength(1);
  });
});

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process, which serves the source. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The demo config with landing and output in `dir`, and a pull: block when `pull` is given. */
function writeConfig(dir: string, pull?: string): string {
  const demo = readFileSync(join(REPO_ROOT, 'config/demo.yaml'), 'utf8')
    .replace(/^landing: .*$/m, `landing: ${join(dir, 'landing')}`)
    .replace(/^output: .*$/m, `output: ${join(dir, 'out')}`);
  const path = join(dir, 'study.yaml');
  writeFileSync(path, pull === undefined ? demo : `${demo}\npull:\n${pull}`);
  return path;
}

/** Every stderr line is a JSON object, and none holds the token. */
function expectJsonLinesWithoutToken(stderr: string): Record<string, unknown>[] {
  expect(stderr).not.toContain(TOKEN);
  return stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('ipslink pull', () => {
  let dir: string;
  const env = () => ({ ...process.env, [TOKEN_ENV]: TOKEN, NO_COLOR: '1' });

  beforeAll(() => {
    dir = makeTempDir();
  });

  afterAll(() => {
    delete process.env[TOKEN_ENV];
  });

  test('prints each pulled delivery and a summary; its JSON log lines never hold the token', async () => {
    const source = await startSource({ token: TOKEN });
    const config = writeConfig(dir, `  url: ${source.url}\n  token_env: ${TOKEN_ENV}\n`);
    const result = await runCli(['pull', '--config', config, '--log-format', 'json'], env());
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      `pulled ${FIRST} into ${join(dir, 'landing', FIRST)}`,
      `pulled ${SECOND} into ${join(dir, 'landing', SECOND)}`,
      `pulled 2 deliveries (${FIRST}, ${SECOND}); 0 already present`,
    ]);
    const events = expectJsonLinesWithoutToken(result.stderr).map((line) => line.event);
    expect(events.filter((event) => event === 'delivery_pulled')).toHaveLength(2);
    expect(result.stdout).not.toContain(TOKEN);
  });

  test('a source that is down exits 69 after its retries, with one JSON error line', async () => {
    const source = await startSource();
    const url = source.url;
    await source.close();
    const config = writeConfig(makeTempDir(), `  url: ${url}\n  token_env: ${TOKEN_ENV}\n  retries: 1\n`);
    const result = await runCli(['pull', '--config', config, '--log-format', 'json'], env());
    expect(result.status, result.stderr).toBe(69);
    const lines = expectJsonLinesWithoutToken(result.stderr);
    expect(lines.map((line) => line.level)).toEqual(['info', 'error']);
    expect(lines[0]).toMatchObject({ event: 'pull_retry', path: 'index.json', attempt: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 'error', code: 'pull_source_unavailable', exit_code: 69 });
    expect(lines.at(-1)?.message).toMatch(/index\.json: fetch failed: .*ECONNREFUSED.* \(2 attempts\)/);
  });

  test('a config without a pull: section is a usage error', async () => {
    const config = writeConfig(makeTempDir());
    const error = await failureOf(Promise.resolve().then(() => pullCommand.handler({ config, _: [], $0: 'ipslink' })));
    expect(error.code).toBe('usage');
    expect(messageFor(error)).toContain('no pull: section');
  });
});
