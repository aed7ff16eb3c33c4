/**
 * No value in any message (issue 12, point 3): every way ingest refuses a
 * delivery, run through `ipslink validate` with JSON logs and --debug (the
 * most it ever says), with a pseudonym and an 11-test number planted in the
 * delivery's data, its header or its delivery.json. Neither may reach stdout
 * or stderr. A run that publishes over rejected rows holding them keeps them
 * out of the manifest, the history and export/.
 */
import { readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { quoteLiteral } from '../../src/db/database.js';
import { makeTempDir, withDatabase, writeDelivery } from '../support/delivery.js';
import { runCli } from '../support/run-cli.js';
import { makeSmallWorld, type SmallWorld } from '../support/small-world.js';
import { rewriteFile } from './delivery-bytes.js';

const PSEUDONYM = 'P0d1ec0ffee';
const BSN = '123456782';
const PLANTED = [PSEUDONYM, BSN];
const HEADER = 'person_id,birth_year,sex,region';
/** Rows holding the planted values: the second is rejected as an identifier leak. */
const ROWS = [`${PSEUDONYM},1980,F,AMR01`, `P0000000002,1975,M,${BSN}`, `${BSN},1990,F,AMR02`];
const CSV = [HEADER, ...ROWS, ''].join('\n');

let config: string;

beforeAll(() => {
  const text = readFileSync('config/demo.yaml', 'utf8');
  config = join(makeTempDir('ipslink-novalues-'), 'study.yaml');
  writeFileSync(config, `${text}\nlimits:\n  max_line_kib: 4\n  max_file_mib: 1\n`);
});

/** A landing directory with delivery d1 holding persons.csv (the planted rows), changed by `spoil`. */
function landingWith(spoil: (dir: string, landing: string) => void): string {
  const landing = makeTempDir('ipslink-novalues-');
  const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
  spoil(dir, landing);
  return landing;
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'delivery.json'), 'utf8'));
const writeManifest = (dir: string, manifest: unknown) => writeFileSync(join(dir, 'delivery.json'), JSON.stringify(manifest));

/** Each way a delivery is refused, with the planted values where a careless message would pick them up. */
const REFUSALS: [string, (dir: string, landing: string) => void][] = [
  ['the file changed after delivery (checksum)', (dir) => writeFileSync(join(dir, 'persons.csv'), CSV.replace('1980', '1981'))],
  ['a wrong stated row count', (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(CSV), 2)],
  ['more rows than stated', (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${CSV}${ROWS[0]}\n`), 3)],
  ['a data row where the header belongs', (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${ROWS.join('\n')}\n`), 2)],
  [
    'a header holding the values as column names',
    (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${PSEUDONYM},${BSN},sex,region\n${ROWS[2]}\n`), 1),
  ],
  [
    'a header that is not UTF-8',
    (dir) => rewriteFile(dir, 'persons.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${PSEUDONYM}\n${ROWS[0]}\n`)]), 1),
  ],
  ['a listed file missing', (dir) => rmSync(join(dir, 'persons.csv'))],
  ['an unlisted extract file', (dir) => writeFileSync(join(dir, 'persons2.csv'), CSV)],
  [
    'a delivery.json with the values as keys and values',
    (dir) => writeManifest(dir, { ...manifestOf(dir), [PSEUDONYM]: BSN, coverage: { [BSN]: { from: PSEUDONYM, to: '2021-01' } } }),
  ],
  ['a delivery.json that is not JSON', (dir) => writeFileSync(join(dir, 'delivery.json'), `{"delivery_id": "${PSEUDONYM}" ${BSN}`)],
  ['a .gz that is not gzip', (dir) => writeManifest(dir, renamed(dir, 'persons.csv', 'persons.csv.gz', Buffer.from(CSV)))],
  ['a truncated .gz', (dir) => writeManifest(dir, renamed(dir, 'persons.csv', 'persons.csv.gz', gzipSync(CSV).subarray(0, 40)))],
  [
    'a line past limits.max_line_kib',
    (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${HEADER}\n${PSEUDONYM},1980,F,${BSN.repeat(1000)}\n`), 1),
  ],
  [
    'a file past limits.max_file_mib',
    (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${HEADER}\n${`${ROWS[0]}\n`.repeat(60_000)}`), 60_000),
  ],
  [
    'a quote that makes the reader and the count disagree',
    (dir) => rewriteFile(dir, 'persons.csv', Buffer.from(`${HEADER}\n${PSEUDONYM},1980,F,"A" "${BSN}\nC"\n`), 2),
  ],
  [
    'a listed file that is a link',
    (dir) => {
      const outside = join(makeTempDir('ipslink-novalues-'), 'persons.csv');
      writeFileSync(outside, CSV);
      rmSync(join(dir, 'persons.csv'));
      symlinkSync(outside, join(dir, 'persons.csv'));
    },
  ],
];

/** Renames a delivered file, with new bytes, and returns delivery.json saying so (its true sha256). */
function renamed(dir: string, from: string, to: string, bytes: Buffer) {
  rmSync(join(dir, from));
  writeFileSync(join(dir, to), bytes);
  const manifest = manifestOf(dir);
  manifest.files[0].name = to;
  writeManifest(dir, manifest);
  rewriteFile(dir, to, bytes);
  return manifestOf(dir);
}

function expectNothingPlanted(text: string): void {
  for (const value of PLANTED) expect(text).not.toContain(value);
}

describe('no planted value in any message', () => {
  test.each(REFUSALS)('%s: refused in one line, neither value in stdout or stderr', async (_name, spoil) => {
    const landing = landingWith(spoil);
    const out = makeTempDir('ipslink-novalues-out-');
    const exit = await runCli(['validate', '--config', config, '--landing', landing, '--out', out, '--log-format', 'json', '--debug']);
    expect(exit.code, exit.stderr.slice(-300)).toBe(4);
    const errors = exit.lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(exit.lines.every((line) => line.event !== 'text')).toBe(true);
    expectNothingPlanted(exit.stdout);
    expectNothingPlanted(exit.stderr);
  });

  test('a delivery changed after it was loaded', async () => {
    const landing = landingWith(() => {});
    const out = makeTempDir('ipslink-novalues-out-');
    expect((await runCli(['validate', '--config', config, '--landing', landing, '--out', out, '--quiet'])).code).toBe(0);
    rewriteFile(join(landing, 'd1'), 'persons.csv', Buffer.from(CSV.replace(`${PSEUDONYM},1980`, `${PSEUDONYM},1981`)), 3);
    const exit = await runCli(['validate', '--config', config, '--landing', landing, '--out', out, '--log-format', 'json', '--debug']);
    expect(exit.code).toBe(4);
    expectNothingPlanted(exit.stdout + exit.stderr);
  });
});

describe('a published run over rejected rows holding the values', () => {
  let world: SmallWorld;
  let stdout: string;
  let stderr: string;

  beforeAll(async () => {
    world = await makeSmallWorld({ persons: 1500, seed: 31 });
    // A third delivery whose rows are all rejected: a BSN as region, as person_id and as employer.
    writeDelivery(world.landing, 'zz-planted', [
      { name: 'persons.csv', extract: 'persons', csv: [HEADER, `${PSEUDONYM},1980,F,${BSN}`, `${BSN},1990,F,AMR02`, ''].join('\n') },
    ]);
    const exit = await runCli(['run', '--config', world.config, '--log-format', 'json', '--debug']);
    expect(exit.code, exit.stderr.slice(-300)).toBe(0);
    ({ stdout, stderr } = exit);
  }, 180_000);

  test('rejects them, and neither value is in the logs, the manifest, the history or export/', async () => {
    expectNothingPlanted(stdout + stderr);
    expectNothingPlanted(readFileSync(join(world.output, 'history.jsonl'), 'utf8'));
    const runDir = join(world.output, 'current');
    expectNothingPlanted(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    const exported = readdirSync(join(runDir, 'export'), { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.'));
    expect(exported.length).toBeGreaterThan(20);
    for (const name of exported) {
      const path = join(runDir, 'export', name);
      // Parquet is compressed: its rows are read back as JSON text, then searched.
      const text = name.endsWith('.parquet')
        ? await withDatabase(async (db) => {
            const [row] = await db.query<{ text: string | null }>(
              'export as text',
              `select string_agg(to_json(t)::varchar, chr(10)) as text from read_parquet(${quoteLiteral(path)}) t`,
            );
            return row?.text ?? '';
          })
        : readFileSync(path).toString('latin1');
      expectNothingPlanted(text);
    }
    expect(stderr).toMatch(/zz-planted\/persons\.csv: 2 read, 0 accepted/);
  });
});
