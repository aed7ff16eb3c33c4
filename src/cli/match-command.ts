/**
 * `ipslink match`: the matching engine (src/match/engine.ts) on any CSV
 * table (DESIGN §4).
 *
 * Checks the options, reads the CSV (src/match/csv-table.ts: column types,
 * the canonical row order, complete columns and a 0/1 treatment), matches
 * with the engine, has DuckDB write the input columns (their text
 * unchanged) plus `ps`, `weight` and `subclass` in the input row order, and
 * prints the balance table. Row order never matters (see csv-table.ts).
 */
import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { fail } from '../errors.js';
import { type BalanceRow, SMD_DENOMINATOR } from '../match/balance-statistics.js';
import type { MatchOutput } from '../match/engine.js';
import type { TreatedOrder } from '../match/nearest-neighbour.js';

export type MatchMethod = 'nearest' | 'exact';

export interface MatchSettings {
  input: string;
  treatment: string;
  covariates: string[];
  method: MatchMethod;
  /** Exact-matching covariates for nearest-neighbour matching (PS matching within their cells). */
  exact: string[];
  ratio: number;
  /** Caliper in SDs of the logit PS over all units; none when undefined. */
  caliperSd?: number;
  replace: boolean;
  order: TreatedOrder;
}

const OUTPUT_COLUMNS = ['ps', 'weight', 'subclass'];

/** Matches the rows of settings.input and writes the matched CSV to `outputPath` (temp file + rename). */
async function runMatching(settings: MatchSettings, outputPath: string): Promise<MatchOutput> {
  if (!existsSync(settings.input)) fail({ code: 'usage', message: `--input ${settings.input}: no such file` });
  // Loaded here, not at start-up, so that --help and the other commands do not load DuckDB.
  const [{ Database }, { csvMatchInput, readCsvTable, writeCsvWithColumns }, { matchTable }] = await Promise.all([
    import('../db/database.js'),
    import('../match/csv-table.js'),
    import('../match/engine.js'),
  ]);
  const db = await Database.open(':memory:');
  try {
    const table = await readCsvTable(db, settings.input, [settings.treatment, ...settings.covariates, ...settings.exact]);
    const clashing = OUTPUT_COLUMNS.filter((name) => table.columnNames.includes(name));
    if (clashing.length)
      fail({ code: 'usage', message: `${settings.input}: already has column(s) ${clashing.join(', ')}, which match writes; rename them` });

    const matched = matchTable(csvMatchInput(table, settings.treatment), {
      method: settings.method,
      exactCovariates: settings.method === 'exact' ? settings.covariates : settings.exact,
      psCovariates: settings.covariates,
      balanceCovariates: [...new Set([...settings.covariates, ...settings.exact])],
      ratio: settings.ratio,
      caliperSd: settings.caliperSd,
      replace: settings.replace,
      order: settings.order,
    });
    if (matched.status === 'empty_arm')
      fail({ code: 'match_empty_arm', file: settings.input, column: settings.treatment, arm: matched.arm });
    if (matched.status === 'no_treated_matched') {
      fail({
        code: 'match_none',
        method: settings.method,
        reason:
          settings.method === 'exact'
            ? 'no cell of the covariates holds both arms'
            : 'no control within the caliper or exact cell of any treated unit',
      });
    }
    const { output } = matched;
    await writeCsvWithColumns(db, table, outputPath, [
      { name: 'ps', type: 'DOUBLE', values: output.ps ?? new Array<null>(table.rowCount).fill(null) },
      { name: 'weight', type: 'DOUBLE', values: output.weights },
      {
        name: 'subclass',
        type: 'INTEGER',
        values: Array.from(output.subclass ?? new Int32Array(table.rowCount), (set) => (set > 0 ? set : null)),
      },
    ]);
    return output;
  } finally {
    db.close();
  }
}

function formatNumber(value: number | null): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(4);
}

export function formatBalanceTable(balance: readonly BalanceRow[]): string {
  const header = [
    'covariate',
    'level',
    'mean_treated_before',
    'mean_control_before',
    'smd_before',
    'var_ratio_before',
    'ecdf_max_before',
    'mean_treated_after',
    'mean_control_after',
    'smd_after',
    'var_ratio_after',
    'ecdf_max_after',
  ];
  const body = balance.map((row) => [
    row.covariate,
    row.level ?? '',
    ...[row.before, row.after].flatMap((arms) =>
      [arms.meanTreated, arms.meanControl, arms.smd, arms.varianceRatio, arms.ecdfMax].map(formatNumber),
    ),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

function describeMatching(settings: MatchSettings, output: MatchOutput): string {
  const method =
    settings.method === 'exact'
      ? `exact matching on ${settings.covariates.join(', ')}`
      : `nearest-neighbour 1:${settings.ratio} on the logit PS, ${settings.replace ? 'with' : 'without'} replacement, order ${settings.order}` +
        (output.caliperLogit === null ? '' : `, caliper ${settings.caliperSd} SD = ${output.caliperLogit.toFixed(6)} logit`) +
        (settings.exact.length ? `, exact on ${settings.exact.join(', ')}` : '');
  const { persons, matched } = output;
  return `${method}: matched ${matched.treated} of ${persons.treated} treated and ${matched.control} of ${persons.control} controls`;
}

function describeWorstBalance(output: MatchOutput): string {
  const worst = output.worstAfter;
  return `max |SMD| after matching: ${worst ? `${worst.absSmd.toFixed(4)} (${worst.label})` : '-'}`;
}

interface MatchArgs {
  input: string;
  treatment: string;
  covariates: string;
  method: MatchMethod;
  exact?: string;
  ratio?: number;
  caliper?: number;
  replace?: boolean;
  order?: TreatedOrder;
  out: string;
}

function columnList(option: string, value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === ''))
    fail({ code: 'usage', message: `--${option} must be a comma-separated list of column names, got "${value}"` });
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length) fail({ code: 'usage', message: `--${option} names ${repeated[0]} twice` });
  return names;
}

export function settingsFromArgs(args: MatchArgs): MatchSettings {
  const covariates = columnList('covariates', args.covariates);
  const exact = args.exact === undefined ? [] : columnList('exact', args.exact);
  if (covariates.includes(args.treatment) || exact.includes(args.treatment)) {
    fail({ code: 'usage', message: `--treatment ${args.treatment} cannot also be a covariate` });
  }
  if (args.method === 'exact') {
    const nearestOnly = (['exact', 'ratio', 'caliper', 'replace', 'order'] as const).filter((option) => args[option] !== undefined);
    if (nearestOnly.length) {
      fail({
        code: 'usage',
        message: `--${nearestOnly.join(', --')} only apply to --method nearest; --method exact matches on the --covariates`,
      });
    }
  }
  const ratio = args.ratio ?? 1;
  if (!Number.isInteger(ratio) || ratio < 1) fail({ code: 'usage', message: `--ratio must be a whole number of at least 1, got ${ratio}` });
  if (args.caliper !== undefined && !(args.caliper > 0 && Number.isFinite(args.caliper))) {
    fail({ code: 'usage', message: `--caliper must be a positive number of SDs of the logit PS, got ${args.caliper}` });
  }
  return {
    input: args.input,
    treatment: args.treatment,
    covariates,
    method: args.method,
    exact,
    ratio,
    caliperSd: args.caliper,
    replace: args.replace ?? false,
    order: args.order ?? 'largest',
  };
}

export const matchCommand: CommandModule<object, MatchArgs> = {
  command: 'match',
  describe: 'match treated and control rows of a CSV (propensity-score nearest neighbour or exact) and print the balance table',
  builder: (yargs) =>
    yargs.options({
      input: { type: 'string', demandOption: true, describe: 'CSV file with a header row' },
      treatment: { type: 'string', demandOption: true, describe: 'treatment column: 1 = treated, 0 = control' },
      covariates: {
        type: 'string',
        demandOption: true,
        describe: 'comma-separated covariates of the PS model (exact: the matching variables); string columns are dummy-coded',
      },
      method: {
        choices: ['nearest', 'exact'] as const,
        default: 'nearest' as const,
        describe: 'nearest neighbour on the logit PS, or exact strata',
      },
      exact: { type: 'string', describe: 'comma-separated columns to match exactly on, PS matching within their cells (nearest only)' },
      ratio: { type: 'number', describe: 'controls per treated unit (1:k); default 1' },
      caliper: { type: 'number', describe: 'caliper in SDs of the logit PS over all units (as MatchIt)' },
      replace: { type: 'boolean', describe: 'match with replacement' },
      order: {
        choices: ['largest', 'smallest', 'data'] as const,
        describe: 'order treated units choose controls: PS largest first (default), smallest first, or canonical row order',
      },
      out: { type: 'string', demandOption: true, describe: 'output CSV: the input columns plus ps, weight, subclass' },
    }),
  handler: async (args) => {
    const settings = settingsFromArgs(args);
    const output = await runMatching(settings, args.out);
    process.stdout.write(
      `${describeMatching(settings, output)}\n\n${formatBalanceTable(output.balance)}\n\n${SMD_DENOMINATOR}\n${describeWorstBalance(output)}\n` +
        `wrote ${output.weights.length} rows to ${args.out}\n`,
    );
  },
};
