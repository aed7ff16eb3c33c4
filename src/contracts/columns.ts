/**
 * Column types shared by the extract contracts.
 *
 * A column type is data: one zod schema that parses the raw field (a string,
 * or undefined for an empty field) and the equivalent SQL checks that run in
 * bulk inside DuckDB over the same raw VARCHAR field. Each check has a stable
 * id; it names the zod issue (its `message`) and the SQL rule, so the two can
 * be compared rule by rule (test/contracts/agreement.test.ts).
 */
import { z } from 'zod';

/** One check on a present (non-null) raw value. */
export interface ColumnCheck {
  id: string;
  description: string;
  /** SQL boolean over the raw VARCHAR field `{c}`; true means the value passes. */
  sql: (field: string) => string;
  /** The same check in TypeScript, over the raw string. */
  test: (raw: string) => boolean;
}

export interface ColumnType {
  /** DuckDB type of the accepted, typed column. */
  duckdbType: string;
  /** Human description for docs. */
  description: string;
  checks: readonly ColumnCheck[];
  optional: boolean;
  /** Converts a valid raw string to its typed value (for the zod parser). */
  parse: (raw: string) => unknown;
  /**
   * How a text column's values repeat across rows, which decides how ingest stores it (acceptedColumnsSql in
   * validation-sql.ts): 'few values' (an enumeration), or 'where rows are together' (an identifier on many rows, as a
   * person's on its payroll periods, which repeats within a column segment only if the file holds them together).
   */
  repeats?: 'few values' | 'where rows are together';
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ISO_DATE_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const INTEGER_PATTERN = /^-?[0-9]{1,9}$/;
/** At most 12 digits before and 6 after the point: every such value fits DECIMAL(18,6) exactly. */
const DECIMAL_PATTERN = /^-?[0-9]{1,12}(\.[0-9]{1,6})?$/;
const BSN_WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

function sqlRegex(pattern: RegExp): string {
  return pattern.source.replace(/^\^/, '').replace(/\$$/, '');
}

/** 9 digits passing the 11-test: looks like a real citizen service number (BSN). */
export function looksLikeBsn(raw: string): boolean {
  if (!/^[0-9]{9}$/.test(raw)) return false;
  const sum = BSN_WEIGHTS.reduce((total, weight, index) => total + weight * Number(raw[index]), 0);
  return sum % 11 === 0;
}

// The fixed-length patterns as GLOB too, which DuckDB matches two to three times as fast as regexp_full_match.
const NINE_DIGITS_GLOB = `'${'[0-9]'.repeat(9)}'`;
const ISO_DATE_GLOB = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'";

function bsnSql(field: string): string {
  const terms = BSN_WEIGHTS.map((weight, index) => `${weight} * try_cast(substr(${field}, ${index + 1}, 1) as INTEGER)`).join(' + ');
  // CASE, not AND: DuckDB then computes the weighted sum only for the few 9-digit values.
  return `case when ${field} glob ${NINE_DIGITS_GLOB} then (${terms}) % 11 <> 0 else true end`;
}

const bsnCheck: ColumnCheck = {
  id: 'bsn_leak',
  description: 'must not be 9 digits passing the 11-test (looks like a citizen service number: identifier leak)',
  sql: bsnSql,
  test: (raw) => !looksLikeBsn(raw),
};

/** A check that the whole value matches `pattern`; in SQL as `glob` where the pattern has one (fixed length, no alternatives). */
function patternCheck(id: string, description: string, pattern: RegExp, glob?: string): ColumnCheck {
  return {
    id,
    description,
    sql: (field) => (glob ? `${field} glob ${glob}` : `regexp_full_match(${field}, '${sqlRegex(pattern)}')`),
    test: (raw) => pattern.test(raw),
  };
}

function isRealDate(raw: string): boolean {
  const [year, month, day] = raw.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An opaque identifier: 1–64 chars of [A-Za-z0-9_-], never BSN-like. */
export const pseudonym: ColumnType = {
  duckdbType: 'VARCHAR',
  description: 'pseudonym, 1–64 chars of [A-Za-z0-9_-]; a 9-digit value passing the 11-test is rejected as an identifier leak',
  checks: [patternCheck('format', 'must be 1–64 chars of [A-Za-z0-9_-]', ID_PATTERN), bsnCheck],
  optional: false,
  parse: (raw) => raw,
  repeats: 'where rows are together',
};

export const isoDate: ColumnType = {
  duckdbType: 'DATE',
  description: 'date, YYYY-MM-DD',
  checks: [
    patternCheck('date_format', 'must be a date as YYYY-MM-DD', ISO_DATE_PATTERN, ISO_DATE_GLOB),
    {
      id: 'date_invalid',
      description: 'must be a real calendar date',
      sql: (field) => `try_cast(${field} as DATE) is not null`,
      test: isRealDate,
    },
  ],
  optional: false,
  parse: (raw) => raw,
};

export function integerBetween(min: number, max: number): ColumnType {
  return {
    duckdbType: 'INTEGER',
    description: `integer, ${min}–${max}`,
    checks: [
      patternCheck('integer', 'must be a whole number', INTEGER_PATTERN),
      {
        id: 'range',
        description: `must be between ${min} and ${max}`,
        sql: (field) => `${field}::BIGINT between ${min} and ${max}`,
        test: (raw) => Number(raw) >= min && Number(raw) <= max,
      },
    ],
    optional: false,
    parse: Number,
  };
}

/** Non-negative amount (euros or hours), stored exactly as DECIMAL(18,6), so nothing is rounded and sums are exact; never BSN-like. */
export function nonNegativeAmount(unit: string): ColumnType {
  return {
    duckdbType: 'DECIMAL(18,6)',
    description: `${unit}, a decimal number >= 0 with at most 12 digits before and 6 after the point (stored exactly)`,
    checks: [
      patternCheck('number', 'must be a decimal number with at most 12 digits before and 6 after the point', DECIMAL_PATTERN),
      {
        id: 'negative',
        description: 'must not be negative',
        sql: (field) => `try_cast(${field} as DOUBLE) >= 0`,
        test: (raw) => Number(raw) >= 0,
      },
      // No person's monthly hours or euros reach nine digits; a value that does and passes the 11-test is a
      // citizen service number in the wrong column (a shifted field), so it is rejected as a leak, not loaded as money.
      bsnCheck,
    ],
    optional: false,
    parse: Number,
  };
}

export function oneOf(values: readonly [string, ...string[]]): ColumnType {
  const list = values.map((value) => `'${value}'`).join(', ');
  return {
    duckdbType: 'VARCHAR',
    description: `one of ${values.map((value) => `\`${value}\``).join(', ')}`,
    checks: [
      {
        id: 'enum',
        description: `must be one of ${values.join(', ')}`,
        // list_contains, not IN: DuckDB plans an IN of more than six values as a join, and a join does not keep
        // the rows' order, which ingest's classified rows must (src/ingest/load-sql.ts).
        sql: (field) => `list_contains([${list}], ${field})`,
        test: (raw) => values.includes(raw),
      },
    ],
    optional: false,
    parse: (raw) => raw,
    repeats: 'few values',
  };
}

export function optional(type: ColumnType): ColumnType {
  return { ...type, optional: true, description: `${type.description} (optional)` };
}

/** The zod schema for one raw field: required or optional, then each check by id. */
export function zodField(type: ColumnType): z.ZodType {
  const present = z.string().superRefine((raw, context) => {
    const failed = type.checks.find((check) => !check.test(raw));
    if (failed) context.addIssue({ code: 'custom', message: failed.id, continue: false });
  });
  const typed = present.transform(type.parse);
  return type.optional ? typed.optional() : z.string({ error: 'required' }).pipe(typed);
}
