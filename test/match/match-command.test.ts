import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import yargs from 'yargs';
import { matchCommand } from '../../src/cli/match-command.js';
import { type PipelineError, PipelineFailure } from '../../src/errors.js';

const workDir = mkdtempSync(join(tmpdir(), 'ipslink-match-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs `ipslink match ...` in-process; returns what it printed. */
async function runMatchCli(argv: string[]): Promise<string> {
  const printed: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    await yargs(['match', ...argv])
      .command(matchCommand)
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return printed.join('');
}

async function errorOfCli(argv: string[]): Promise<PipelineError> {
  try {
    await runMatchCli(argv);
  } catch (error) {
    if (error instanceof PipelineFailure) return error.error;
    throw error;
  }
  throw new Error('expected a PipelineFailure');
}

/** A reference CSV without quotes, optionally without its id column and with its rows permuted. */
function writeVariant(source: string, name: string, options: { dropId: boolean; shuffleSeed?: number }): string {
  const [header, ...rows] = readFileSync(join('test/reference/matching', source), 'utf8').trim().replaceAll('"', '').split('\n');
  const keep = (line: string) => (options.dropId ? line.split(',').slice(1).join(',') : line);
  let body = rows.map(keep);
  if (options.shuffleSeed !== undefined) {
    let state = options.shuffleSeed;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    body = body
      .map((line) => [random(), line] as const)
      .sort(([a], [b]) => a - b)
      .map(([, line]) => line);
  }
  const path = join(workDir, name);
  writeFileSync(path, `${[keep(header!), ...body].join('\n')}\n`);
  return path;
}

describe('row order never matters', () => {
  test.each([
    [
      'lalonde.csv',
      ['--treatment', 'treat', '--covariates', 'age,educ,race,married,nodegree,re74,re75', '--ratio', '2', '--caliper', '0.2'],
    ],
    ['ties.csv', ['--treatment', 'treated', '--covariates', 'age_band,sex,worked_12m', '--ratio', '2', '--order', 'data']],
    ['synthetic.csv', ['--treatment', 'treated', '--covariates', 'age,region,benefit_months,wage_eur_12m', '--exact', 'sex', '--replace']],
  ])('%s without ids, shuffled: the same output rows and the same printed table', async (source, options) => {
    const original = writeVariant(source, `original-${source}`, { dropId: true });
    const shuffled = writeVariant(source, `shuffled-${source}`, { dropId: true, shuffleSeed: 7 });
    const printedOriginal = await runMatchCli(['--input', original, ...options, '--out', join(workDir, 'a', 'out.csv')]);
    const printedShuffled = await runMatchCli(['--input', shuffled, ...options, '--out', join(workDir, 'b', 'out.csv')]);
    expect(printedShuffled.replace(join(workDir, 'b'), '')).toBe(printedOriginal.replace(join(workDir, 'a'), ''));
    const lines = (dir: string) =>
      readFileSync(join(workDir, dir, 'out.csv'), 'utf8')
        .trim()
        .split('\n');
    const [headerOriginal, ...rowsOriginal] = lines('a');
    const [headerShuffled, ...rowsShuffled] = lines('b');
    expect(headerShuffled).toBe(headerOriginal);
    expect(rowsShuffled.sort()).toEqual(rowsOriginal.sort());
  });
});

test('the output holds the input columns plus ps, weight and subclass, in the input row order', async () => {
  const input = writeVariant('synthetic.csv', 'synthetic-shuffled-with-ids.csv', { dropId: false, shuffleSeed: 3 });
  const out = join(workDir, 'with-ids.csv');
  const printed = await runMatchCli(['--input', input, '--treatment', 'treated', '--covariates', 'age,sex,region', '--out', out]);
  const inputLines = readFileSync(input, 'utf8').trim().split('\n');
  const outputLines = readFileSync(out, 'utf8').trim().split('\n');
  expect(outputLines[0]).toBe(`${inputLines[0]},ps,weight,subclass`);
  expect(outputLines.map((line) => line.split(',').slice(0, -3).join(','))).toEqual(inputLines);
  expect(printed).toContain('SMD denominator: SD of the treated group before matching');
  expect(printed).toMatch(/^covariate\s+level\s+mean_treated_before/m);
  expect(printed).toMatch(/^region\s+midden\s/m);
});

test('--method exact leaves ps empty and numbers the strata', async () => {
  const out = join(workDir, 'exact.csv');
  await runMatchCli([
    '--input',
    'test/reference/matching/ties.csv',
    '--treatment',
    'treated',
    '--covariates',
    'sex,age_band',
    '--method',
    'exact',
    '--out',
    out,
  ]);
  const [header, first] = readFileSync(out, 'utf8').split('\n');
  expect(header).toBe('id,treated,age_band,sex,worked_12m,ps,weight,subclass');
  expect(first).toMatch(/^1,0,3,F,0,,[0-9.]+,[0-9]+$/);
});

describe('bad input gives one named error and writes nothing', () => {
  const csv = (name: string, lines: string[]) => {
    const path = join(workDir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  // t = 1 for every third row; g = z only on control rows, x/y on both arms
  const level = (i: number) => (i % 3 === 1 && i % 2 === 0 ? 'z' : ['x', 'y'][i % 2]);
  const base = ['id,t,a,b,g', ...Array.from({ length: 60 }, (_, i) => `${i},${i % 3 === 0 ? 1 : 0},${i % 7},${(i * 3) % 11},${level(i)}`)];
  const fileName = (name: string) => `${name.replaceAll(/[^a-z0-9]+/g, '-')}.csv`;

  test.each([
    [
      'a treatment coded 0/1/2/yes',
      base.map((line, i) => (i === 1 ? '0,2,0,0,x' : i === 2 ? '1,yes,1,3,y' : line)),
      ['--covariates', 'a,b'],
      { code: 'match_treatment_not_binary', column: 't', count: 2 },
    ],
    [
      'a missing covariate value',
      base.map((line, i) => (i === 5 ? '4,0,,1,x' : line)),
      ['--covariates', 'a,b'],
      { code: 'match_missing_values', column: 'a', count: 1 },
    ],
    [
      'an infinite covariate value',
      base.map((line, i) => (i === 5 || i === 9 ? line.replace(/^(\d+,\d+,)\d+/, '$1inf') : line)),
      ['--covariates', 'b,a'],
      { code: 'match_missing_values', column: 'a', count: 2 },
    ],
    [
      'a missing string covariate value',
      base.map((line, i) => (i === 7 ? line.replace(/,[xyz]$/, ',') : line)),
      ['--covariates', 'a,g'],
      { code: 'match_missing_values', column: 'g', count: 1 },
    ],
    ['an unknown covariate', base, ['--covariates', 'a,nope'], { code: 'match_columns_missing', columns: ['nope'] }],
    [
      'a covariate that is a combination of others',
      base.map((line, i) => (i === 0 ? `${line},c` : `${line},${2 * Number(line.split(',')[2]) - Number(line.split(',')[3])}`)),
      ['--covariates', 'a,b,c'],
      { code: 'ps_rank_deficient', column: 'c', combination: ['a', 'b'] },
    ],
    ['a level holding only controls', base, ['--covariates', 'a,g'], { code: 'ps_separation', column: 'g=z' }],
  ])('%s', async (name, lines, options, expected) => {
    const input = csv(fileName(name), lines);
    const out = join(workDir, 'bad', fileName(name));
    expect(await errorOfCli(['--input', input, '--treatment', 't', ...options, '--out', out])).toMatchObject(expected);
    expect(existsSync(out)).toBe(false);
    if (existsSync(join(workDir, 'bad'))) expect(readdirSync(join(workDir, 'bad'))).toEqual([]);
  });

  test('--ratio with --method exact is a usage error', async () => {
    const error = await errorOfCli([
      '--input',
      'x.csv',
      '--treatment',
      't',
      '--covariates',
      'a',
      '--method',
      'exact',
      '--ratio',
      '2',
      '--out',
      'y.csv',
    ]);
    expect(error).toMatchObject({ code: 'usage' });
  });
});
