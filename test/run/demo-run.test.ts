/**
 * Pipeline test: synthesise the demo's two deliveries (the second correcting
 * the first), run the demo study end to end, and check it against
 * truth.json and the pipeline's invariants. Failure paths go through the
 * real CLI so the one-line error and exit code are checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, test } from 'vitest';
import { tablesKeptBetweenRuns } from '../../pipelines/study.js';
import { OUTCOMES } from '../../src/config/outcomes.js';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { quoteLiteral } from '../../src/db/database.js';
import { EXPORT_TABLES } from '../../src/disclosure/export-tables.js';
import type { RunManifest } from '../../src/publish/manifest.js';
import { RESTRICTED_TABLES } from '../../src/publish/restricted-tables.js';
import { readRunHistory } from '../../src/run/history.js';
import { runStudy } from '../../src/run/run-study.js';
import { formatRunSummary } from '../../src/run/summary.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import type { Truth } from '../../src/synth/truth.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { CLI_MAIN } from '../support/run-cli.js';
import { TEST_THREADS } from '../support/threads.js';

const SEED = 20261121; // the Makefile's demo seed
const PERSONS = 20_000;

let work: string;
let landing: string;
let firstRunDir: string;
let firstSummary: string;
/** The last delivery: it holds truth.json. */
let truthDir: string;
let deliveryDirs: string[];

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8' });
}

async function run(output: string, threads = TEST_THREADS) {
  return runStudy({ loaded: loadStudyConfig('config/demo.yaml'), landing, output, threads, force: true });
}

/** The cells of effects.parquet the tests compare. */
interface EffectCells {
  outcome: string;
  estimator: string;
  event_month: number;
  estimate: number;
  ci_low: number;
  ci_high: number;
}

async function queryParquet<Row>(path: string, sql: string): Promise<Row[]> {
  return withDatabase((db) => db.query<Row>('test', sql.replace('$file', `read_parquet(${quoteLiteral(path)})`)));
}

beforeAll(async () => {
  work = makeTempDir('ipslink-demo-');
  landing = join(work, 'landing');
  const synth = await synthesizeDelivery({
    outDir: join(landing, `synth-${SEED}`),
    persons: PERSONS,
    seed: SEED,
    deliveries: 2,
    threads: TEST_THREADS,
  });
  deliveryDirs = synth.deliveries.map((delivery) => delivery.dir);
  truthDir = deliveryDirs.at(-1)!;
  const first = await run(join(work, 'out'));
  firstRunDir = first.runDir;
  firstSummary = formatRunSummary(first.summary);
}, 300_000);

describe('the demo study on a synthetic delivery', () => {
  test('current points at the published run and its manifest lists every output with a sha256', () => {
    expect(readlinkSync(join(work, 'out', 'current'))).toBe(join('runs', firstRunDir.split('/').at(-1)!));
    const manifest = JSON.parse(readFileSync(join(firstRunDir, 'manifest.json'), 'utf8'));
    expect(manifest.status).toMatch(/^published/);
    const paths = manifest.outputs.map((output: { path: string }) => output.path);
    for (const file of ['effects.parquet', 'effects.arrow', 'attrition.parquet', 'balance.parquet', 'disclosure.json']) {
      expect(paths).toContain(`export/${file}`);
    }
    expect(paths).toContain('restricted/cohort.parquet');
  });

  test("the manifest gives each Parquet output's row count, and none for the other files", async () => {
    const manifest = JSON.parse(readFileSync(join(firstRunDir, 'manifest.json'), 'utf8')) as RunManifest;
    const parquet = manifest.outputs.filter((output) => output.path.endsWith('.parquet'));
    expect(parquet.length).toBeGreaterThan(60);
    // each file read whole on its own (a file of no rows is in the count too)
    const counted = await withDatabase((db) =>
      db.query<{ path: string; rows: number }>(
        'test',
        parquet
          .map(({ path }) => join(firstRunDir, path))
          .map((path) => `select ${quoteLiteral(path)} as path, count(*)::double as rows from read_parquet(${quoteLiteral(path)})`)
          .join(' union all '),
      ),
    );
    expect(new Map(counted.map((row) => [row.path, row.rows]))).toEqual(
      new Map(parquet.map((output) => [join(firstRunDir, output.path), output.rows])),
    );
    const others = manifest.outputs.filter((output) => !output.path.endsWith('.parquet'));
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((output) => output.rows !== null)).toEqual([]);
  });

  test('the matched 95% CI contains the planted effect at months 12, 24 and 36; the unadjusted difference does not', async () => {
    const truth = JSON.parse(readFileSync(join(truthDir, 'truth.json'), 'utf8'));
    const effects = await queryParquet<EffectCells>(
      join(firstRunDir, 'export', 'effects.parquet'),
      "select outcome, estimator, event_month, estimate, ci_low, ci_high from $file where event_month in (12, 24, 36) and outcome in ('employed_any', 'employed_48h')",
    );
    for (const outcome of ['employed_any', 'employed_48h']) {
      for (const month of [12, 24, 36]) {
        const planted = truth.att[outcome][String(month)] as number;
        const matched = effects.find((row) => row.outcome === outcome && row.estimator === 'matched_att' && row.event_month === month)!;
        const naive = effects.find((row) => row.outcome === outcome && row.estimator === 'unadjusted' && row.event_month === month)!;
        expect(planted, `${outcome} month ${month}`).toBeGreaterThanOrEqual(matched.ci_low);
        expect(planted, `${outcome} month ${month}`).toBeLessThanOrEqual(matched.ci_high);
        expect(naive.ci_low, `unadjusted ${outcome} month ${month}`).toBeGreaterThan(planted);
      }
    }
  });

  test('the matched 95% CIs of employed_any, employed_48h and on_benefit cover the planted effect among observed persons at months 6 to 36 near the nominal rate', async () => {
    const truth = JSON.parse(readFileSync(join(truthDir, 'truth.json'), 'utf8')) as Truth;
    const effects = await queryParquet<{
      outcome: 'employed_any' | 'employed_48h' | 'on_benefit';
      event_month: number;
      ci_low: number;
      ci_high: number;
    }>(
      join(firstRunDir, 'export', 'effects.parquet'),
      "select outcome, event_month, ci_low, ci_high from $file where estimator = 'matched_att' and event_month between 6 and 36 and outcome in ('employed_any', 'employed_48h', 'on_benefit')",
    );
    expect(effects).toHaveLength(3 * 31);
    const missed = effects.filter((row) => {
      const planted = truth.att[row.outcome][String(row.event_month)]!;
      return planted < row.ci_low || planted > row.ci_high;
    });
    // 93 intervals, strongly correlated within an outcome: allow a few misses, not a systematic bias.
    expect(missed.length, JSON.stringify(missed.slice(0, 5))).toBeLessThanOrEqual(9);
    expect(truth.att.on_benefit['36']).toBeLessThan(0);
  });

  test("subgroup levels' 95% CIs cover their own planted effects at months 12, 24 and 36 near the nominal rate", async () => {
    const truth = JSON.parse(readFileSync(join(truthDir, 'truth.json'), 'utf8')) as Truth;
    const levels = await queryParquet<{
      subgroup: string;
      level: string;
      outcome: 'employed_any' | 'employed_48h';
      event_month: number;
      ci_low: number;
      ci_high: number;
    }>(
      join(firstRunDir, 'export', 'subgroup_effects.parquet'),
      "select subgroup, level, outcome, event_month, ci_low, ci_high from $file where estimator = 'matched_att' and event_month in (12, 24, 36)",
    );
    const covered = levels.filter((row) => {
      const planted = truth.att_by_subgroup[row.subgroup]![row.level]![row.outcome][String(row.event_month)]!;
      return planted >= row.ci_low && planted <= row.ci_high;
    });
    expect(levels.length).toBe(11 * 2 * 3);
    expect(covered.length / levels.length).toBeGreaterThanOrEqual(0.85);
  });

  test("the attrition table's first row equals the deliveries' row counts and every rejected row has a reason", async () => {
    const deliveredRows = deliveryDirs
      .map((dir) => JSON.parse(readFileSync(join(dir, 'delivery.json'), 'utf8')) as { files: { row_count: number }[] })
      .flatMap((delivery) => delivery.files)
      .reduce((total, file) => total + file.row_count, 0);
    const [first] = await queryParquet<{ n: number }>(
      join(firstRunDir, 'export', 'attrition.parquet'),
      'select n::double as n from $file order by step_no limit 1',
    );
    expect(first!.n).toBe(deliveredRows);
    const [ledger] = await queryParquet<{ rows: number; without_reason: number }>(
      join(firstRunDir, 'restricted', 'rejects.parquet'),
      "select count(*)::double as rows, count(*) filter (where rule_id is null or reason is null or reason = '')::double as without_reason from $file",
    );
    const [linkage] = await queryParquet<{ read: number; accepted: number; rejected: number; superseded: number; in_force: number }>(
      join(firstRunDir, 'export', 'linkage.parquet'),
      `select sum(rows_read)::double as read, sum(rows_accepted)::double as accepted, sum(rows_rejected)::double as rejected,
           sum(rows_superseded)::double as superseded, sum(rows_in_force)::double as in_force from $file`,
    );
    expect(linkage!.read).toBe(deliveredRows);
    expect(linkage!.accepted + linkage!.rejected).toBe(deliveredRows);
    expect(linkage!.in_force + linkage!.superseded + linkage!.rejected).toBe(deliveredRows);
    expect(linkage!.superseded).toBeGreaterThan(0);
    expect(ledger!.rows).toBe(linkage!.rejected);
    expect(ledger!.without_reason).toBe(0);
  });

  test('the summary shows the rows superseded, the coverage and the censoring by the end of the follow-up', () => {
    expect(firstSummary).toMatch(
      /^rows superseded by later deliveries: persons [\d,]+, benefit_spells [\d,]+, employment_periods [\d,]+, trajectories [\d,]+, healthcare_costs [\d,]+$/m,
    );
    expect(firstSummary).toMatch(
      /^coverage: benefit_spells 2008-01\.\.2021-06 \(delivery\.json\), employment_periods 2010-07\.\.2021-06 \(delivery\.json\)/m,
    );
    expect(firstSummary).toMatch(/^ {2}IPS: [\d,]+ of [\d,]+ observed; [\d,]+ died, [\d,]+ emigrated, [\d,]+ reached state-pension age/m);
    expect(firstSummary).toMatch(/^ {2}TVR persons who started IPS by then: [\d,]+$/m);
  });

  test('a second run on the same inputs, with two DuckDB threads where the first had one, writes byte-identical export files', async () => {
    const second = await run(join(work, 'out-again'), 2);
    const threadsOf = (runDir: string) =>
      (JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest).resources.threads;
    expect([threadsOf(firstRunDir), threadsOf(second.runDir)]).toEqual([TEST_THREADS, 2]);
    const exported = readdirSync(join(firstRunDir, 'export'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.includes('.'))
      .sort();
    for (const file of exported) {
      expect(readFileSync(join(second.runDir, 'export', file)), file).toEqual(readFileSync(join(firstRunDir, 'export', file)));
    }
  }, 300_000);

  test('a nightly rerun with nothing new is a no-op: no run, current unchanged, the history says so', async () => {
    const before = readdirSync(join(work, 'out', 'runs'));
    const again = await runStudy({
      loaded: loadStudyConfig('config/demo.yaml'),
      landing,
      output: join(work, 'out'),
      threads: TEST_THREADS,
    });
    expect(again.status).toBe('no_op');
    expect(readdirSync(join(work, 'out', 'runs'))).toEqual(before);
    expect(readlinkSync(join(work, 'out', 'current'))).toBe(join('runs', firstRunDir.split('/').at(-1)!));
    const history = readRunHistory(join(work, 'out'));
    expect(history.at(-1)).toMatchObject({ status: 'no_op', same_as: firstRunDir.split('/').at(-1), exit_code: 0 });
  });

  test('no exported count is below the disclosure threshold', async () => {
    const rows = await queryParquet<{ small: number }>(
      join(firstRunDir, 'export', 'effects.parquet'),
      'select count(*)::double as small from $file where n_treated < 10 or n_control < 10',
    );
    expect(rows[0]!.small).toBe(0);
  });
});

describe('a bad input stops the run with one line naming the problem, and current stays put', () => {
  function copyLanding(): string {
    const copy = join(makeTempDir('ipslink-bad-'), 'landing');
    cpSync(landing, copy, { recursive: true });
    return copy;
  }

  function expectRefused(args: string[], message: RegExp, exitCode: number) {
    const output = join(work, 'out');
    const before = readlinkSync(join(output, 'current'));
    const result = cli(['run', ...args, '--out', output]);
    expect(result.status).toBe(exitCode);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(message);
    expect(result.stderr).not.toMatch(/\bP[0-9a-f]{10}\b/);
    expect(readlinkSync(join(output, 'current'))).toBe(before);
  }

  test('a file whose sha256 differs from delivery.json', () => {
    const copy = copyLanding();
    const file = join(copy, `synth-${SEED}.1`, 'trajectories.csv.gz');
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5);
    writeFileSync(file, bytes);
    expectRefused(
      ['--config', 'config/demo.yaml', '--landing', copy],
      /^ipslink: synth-\d+\.1\/trajectories.csv.gz: sha256 is [0-9a-f]{12}…, delivery.json says/,
      4,
    );
  });

  test('a missing file', () => {
    const copy = copyLanding();
    rmSync(join(copy, `synth-${SEED}.2`, 'benefit_spells.csv.gz'));
    expectRefused(['--config', 'config/demo.yaml', '--landing', copy], /benefit_spells.csv.gz: listed in delivery.json but missing/, 4);
  });

  test('a malformed config', () => {
    const config = join(work, 'broken.yaml');
    writeFileSync(config, readFileSync('config/demo.yaml', 'utf8').replace('method: exact', 'method: magic'));
    expectRefused(['--config', config, '--landing', landing], /^ipslink: .*broken.yaml: invalid study config: matching.method/, 3);
  });
});

describe('the command line', () => {
  test('query answers SQL over a published run through views', () => {
    const result = cli([
      'query',
      '--run',
      join(work, 'out', 'current'),
      "select count(*) as n from effects where estimator = 'matched_att'",
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['n', String(OUTCOMES.length * 61)]);
  });

  test('validate prints linkage with superseded rows and coverage, and what each file added or corrected', () => {
    const result = cli(['validate', '--config', 'config/demo.yaml', '--landing', landing, '--out', join(work, 'validate-out'), '--quiet']);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^extract +read +accepted +rejected +superseded +in force +persons +orphans +dup keys +coverage$/);
    expect(lines.find((line) => line.startsWith('employment_periods'))).toMatch(/2010-07\.\.2021-06 \(delivery\.json\)$/);
    const files = lines.filter((line) => /^synth-\d+\.\d\//.test(line)).map((line) => line.trim().split(/ +/));
    // Five extracts (healthcare_costs included) in each of the two deliveries.
    expect(files).toHaveLength(10);
    for (const [name, , , accepted, inserted, replacing, unchanged, older] of files) {
      expect(Number(inserted) + Number(replacing) + Number(unchanged) + Number(older), name).toBe(Number(accepted));
    }
    expect(files.find(([name]) => name!.endsWith('.2/persons.csv.gz'))?.[1]).toBe('full');
  });

  test('an unknown command is a usage error', () => {
    const result = cli(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('--help names every command', () => {
    const help = execFileSync(process.execPath, [CLI_MAIN, '--help'], { encoding: 'utf8' });
    for (const command of ['synth', 'run', 'validate', 'query', 'runs', 'status']) expect(help).toContain(`ipslink ${command}`);
  });
});

describe('the codebook', () => {
  test('documents exactly the columns of every Parquet output, and the files carry the descriptions', async () => {
    const outputs = [
      ...EXPORT_TABLES.map((table) => ({ file: `${table.name}.parquet`, area: 'export', columns: table.columns })),
      ...RESTRICTED_TABLES.map((table) => ({ ...table, area: 'restricted' })),
    ];
    expect(
      readdirSync(join(firstRunDir, 'export'))
        .filter((file) => file.endsWith('.parquet'))
        .sort(),
    ).toEqual(EXPORT_TABLES.map((table) => `${table.name}.parquet`).sort());
    for (const output of outputs) {
      const path =
        output.file === 'panel' ? join(firstRunDir, output.area, 'panel', '**', '*.parquet') : join(firstRunDir, output.area, output.file);
      const columns = await queryParquet<{ column_name: string }>(
        path,
        `describe select * from read_parquet(${quoteLiteral(path)}, hive_partitioning = true)`,
      );
      expect(columns.map((column) => column.column_name).sort(), output.file).toEqual(Object.keys(output.columns).sort());
    }
    const codebook = readFileSync(join(firstRunDir, 'export', 'codebook.md'), 'utf8');
    expect(codebook).toContain('### effects.parquet');
    const [metadata] = await queryParquet<{ value: string }>(
      join(firstRunDir, 'export', 'effects.parquet'),
      `select decode(value) as value from parquet_kv_metadata(${quoteLiteral(join(firstRunDir, 'export', 'effects.parquet'))}) where decode(key) = 'column_descriptions'`,
    );
    expect(JSON.parse(metadata!.value)).toHaveProperty('ci_method');
  });

  test('the restricted panel is one person-ordered file per event month, the month in its path only, together the whole panel', async () => {
    const panelDir = join(firstRunDir, 'restricted', 'panel');
    const partitions = readdirSync(panelDir);
    expect(partitions.length).toBeGreaterThan(1);
    for (const name of partitions) {
      expect(name).toMatch(/^event_month=-?\d+$/);
      expect(readdirSync(join(panelDir, name))).toEqual(['data_0.parquet']);
    }
    const files = quoteLiteral(join(panelDir, '*', 'data_0.parquet'));
    const { months_before: before, months_after: after } = loadStudyConfig('config/demo.yaml').config.follow_up;
    const manifest = JSON.parse(readFileSync(join(firstRunDir, 'manifest.json'), 'utf8')) as RunManifest;
    // The panel is every cohort person's months from -months_before to months_after, once each (the warehouse keeps
    // only what was delivered, so the files are checked against the cohort and the panel stage's count).
    const [check] = await queryParquet<{ in_file: number; out_of_order: number; rows: number; missing: number; extra: number }>(
      join(firstRunDir, 'restricted', 'cohort.parquet'),
      `with panel as (select person_id, event_month from read_parquet(${files}, hive_partitioning = true)),
       expected as (select person_id, month as event_month from $file cross join range(${-before}, ${after + 1}) as months(month))
       select
           (select count(*) from (describe select * from read_parquet(${files}, hive_partitioning = false)) where column_name = 'event_month')::integer as in_file,
           (select count(*) from (
              select person_id < lag(person_id) over (partition by filename order by file_row_number) as backwards
              from read_parquet(${files}, filename = true, file_row_number = true)
            ) where backwards)::integer as out_of_order,
           (select count(*) from panel)::double as rows,
           (select count(*) from (select * from expected except all select * from panel))::integer as missing,
           (select count(*) from (select * from panel except all select * from expected))::integer as extra`,
    );
    const panelRows = manifest.stages.find((stage) => stage.stage === 'panel')!.rowsOut.panel_person_month;
    expect(check).toEqual({ in_file: 0, out_of_order: 0, rows: panelRows, missing: 0, extra: 0 });
  });

  test("the warehouse file keeps what was delivered and none of the run's own tables", async () => {
    const tables = await withDatabase(async (db) => {
      await db.run('test', `attach ${quoteLiteral(join(work, 'out', 'warehouse.duckdb'))} as warehouse (read_only)`);
      return db.query<{ name: string }>(
        'test',
        "select table_name as name from duckdb_tables() where database_name = 'warehouse' union all select view_name from duckdb_views() where database_name = 'warehouse' and not internal order by name",
      );
    });
    expect(tables.map((table) => table.name)).toEqual([...tablesKeptBetweenRuns].sort());
  });

  test('effects.arrow holds the rows of effects.parquet, with the same descriptions in its schema', async () => {
    const table = tableFromIPC(readFileSync(join(firstRunDir, 'export', 'effects.arrow')));
    const parquet = join(firstRunDir, 'export', 'effects.parquet');
    const rows = await queryParquet<{ outcome: string; estimate: number | null }>(parquet, 'select outcome, estimate from $file');
    expect(table.numRows).toBe(rows.length);
    expect([...table.getChild('outcome')!]).toEqual(rows.map((row) => row.outcome));
    expect([...table.getChild('estimate')!]).toEqual(rows.map((row) => row.estimate));
    const effects = EXPORT_TABLES.find((entry) => entry.name === 'effects')!;
    expect(table.schema.metadata.get('description')).toBe(effects.description);
    expect(table.schema.fields.map((field) => field.metadata.get('description'))).toEqual(
      Object.values(effects.columns).map((column) => column.description),
    );
  });
});

describe('the study tables and report', () => {
  test('table 2 shows effects.parquet, in percentage points to one decimal, cell by cell', async () => {
    const effects = await queryParquet<EffectCells>(
      join(firstRunDir, 'export', 'effects.parquet'),
      "select outcome, estimator, event_month, estimate, ci_low, ci_high from $file where outcome in ('employed_any', 'employed_48h') and event_month in (6, 12, 18, 24, 30, 36) order by outcome, event_month, estimator",
    );
    const lines = readFileSync(join(firstRunDir, 'export', 'tables', 'table2_effects.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe('outcome,month,estimator,estimate_pp,ci_low_pp,ci_high_pp,n_treated,n_control');
    const pp = (value: number) => (Math.round(100 * value * 10) / 10 + 0).toFixed(1);
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 6).join(','))).toEqual(
      effects.map((row) => [row.outcome, row.event_month, row.estimator, pp(row.estimate), pp(row.ci_low), pp(row.ci_high)].join(',')),
    );
  });

  test('table 4 shows subgroup_effects.parquet per level and report month', async () => {
    const effects = await queryParquet<{
      subgroup: string;
      level: string;
      outcome: string;
      estimate: number;
      ci_low: number;
      ci_high: number;
    }>(
      join(firstRunDir, 'export', 'subgroup_effects.parquet'),
      "select subgroup, level, outcome, estimate, ci_low, ci_high from $file where estimator = 'matched_att' and event_month = 36 order by subgroup, level, outcome",
    );
    const lines = readFileSync(join(firstRunDir, 'export', 'tables', 'table4_subgroups.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 6)).toEqual(['subgroup', 'level', 'matched_treated', 'matched_control', 'max_abs_smd', 'outcome']);
    const pp = (value: number) => (Math.round(100 * value * 10) / 10 + 0).toFixed(1);
    // Cells hold commas inside quotes ("9.5 [7.4, 11.7]"); the 36-month cell is the last quoted one.
    const rows = lines.slice(1).map((line) => [...line.split(',', 6).slice(0, 2), line.split(',')[5], line.match(/"([^"]*)",[^,"]*$/)![1]]);
    expect(rows).toEqual(
      effects.map((row) => [row.subgroup, row.level, row.outcome, `${pp(row.estimate)} [${pp(row.ci_low)}, ${pp(row.ci_high)}]`]),
    );
    expect(effects.length).toBe(2 * 11); // target group 3 levels, funder 2, provider 6
  });

  test('report.html holds every study table and a figure per outcome, effect, balance, subgroups, costs and monitoring', () => {
    const html = readFileSync(join(firstRunDir, 'export', 'report.html'), 'utf8');
    const sections = ['settings', 'table1_baseline', 'table2_effects', 'table3_costs', 'attrition', 'linkage', 'table4_subgroups'];
    for (const id of [...sections, 'monitoring_ever_employed', 'monitoring_at_work', 'figures']) {
      expect(html).toContain(`<section id="${id}">`);
    }
    expect(html.match(/<figure><svg/g)?.length).toBe(9); // exact matching: no PS distribution figure
    expect(html).toContain('Cost-effectiveness plane');
    expect(html).toContain('Cost-effectiveness acceptability curve');
  });

  test('table 3 reads per perspective, with healthcare costs from the delivered extract', async () => {
    const rows = await withDatabase((db) =>
      db.query<{ perspective: string; item: string; estimate: string; basis: string }>(
        'table 3',
        `select perspective, item, estimate, basis from read_csv(${quoteLiteral(join(firstRunDir, 'export', 'tables', 'table3_costs.csv'))}, all_varchar = true)`,
      ),
    );
    const items = (perspective: string) => rows.filter((row) => row.perspective === perspective).map((row) => row.item);
    for (const perspective of ['payer', 'societal']) {
      expect(items(perspective)).toEqual(
        expect.arrayContaining(['Incremental cost', 'Incremental effect (discounted)', 'ICER', 'Return on investment']),
      );
      expect(items(perspective).filter((item) => item.startsWith('Probability cost-effective at EUR'))).toHaveLength(4);
    }
    const healthcare = rows.find((row) => row.item === 'Healthcare cost')!;
    expect(healthcare.basis).toMatch(/healthcare_costs extract/);
    expect(Number(healthcare.estimate)).not.toBe(0);
    const plane = await queryParquet<{ perspective: string; replicates: number }>(
      join(firstRunDir, 'export', 'cost_plane.parquet'),
      'select perspective, count(*)::integer as replicates from $file group by perspective order by perspective',
    );
    expect(plane).toEqual([
      { perspective: 'payer', replicates: 999 },
      { perspective: 'societal', replicates: 999 },
    ]);
  });
});
