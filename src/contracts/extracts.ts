/**
 * The extract contracts of DESIGN §2 (four always delivered, and the
 * optional healthcare_costs): the single source of truth for column names,
 * types, validation rules and docs.
 */

import { quoteLiteral } from '../db/quote.js';
import { integerBetween, isoDate, nonNegativeAmount, oneOf, optional, pseudonym } from './columns.js';
import { defineExtract, type RowRule } from './define-extract.js';

export const BENEFIT_TYPES = ['ZW', 'WGA', 'IVA', 'WAJONG', 'WAO', 'WW', 'BIJSTAND'] as const;
export const INCAPACITY_CAUSES = ['MENTAL', 'PHYSICAL', 'OTHER'] as const;
export const JOB_TYPES = ['REGULAR', 'TEMP_AGENCY', 'ON_CALL', 'DIRECTOR', 'INTERN', 'SHELTERED', 'OTHER'] as const;
/** Not competitive employment (DESIGN §2). */
export const NON_COMPETITIVE_JOB_TYPES = ['SHELTERED', 'INTERN'] as const;
export const PROGRAMMES = ['IPS', 'TVR'] as const;
export const FUNDERS = ['UWV', 'MUNICIPALITY'] as const;
export const TARGET_GROUPS = ['SMI', 'CMD'] as const;
export const SEXES = ['M', 'F', 'X'] as const;
/** Claim categories of the Zvw claims register (DESIGN §2). */
export const HEALTHCARE_CATEGORIES = ['MENTAL_HEALTH', 'GP', 'HOSPITAL', 'PHARMACY', 'OTHER'] as const;
/** The Health Insurance Act (Zvw), whose claims register the healthcare costs come from, took effect on 1 January 2006. */
export const FIRST_HEALTHCARE_COST_YEAR = 2006;

/** Payroll periods are a month or four weeks (Polis); anything longer is a delivery error. */
export const MAX_PAYROLL_PERIOD_DAYS = 31;

function endNotBeforeStart(extract: string, start: string, end: string): RowRule {
  return {
    id: `${extract}.end_before_start`,
    description: `${end} must not be before ${start}`,
    sql: () => `${end} is null or ${end} >= ${start}`,
    check: (row) => row[end] === undefined || String(row[end]) >= String(row[start]),
  };
}

/**
 * A date in a person's life (death, emigration) lies between the birth month
 * (January when the birth month is unknown) and the extract date: a register
 * cannot record an event after it was extracted.
 */
function lifeEventRules(column: 'death_date' | 'emigration_date'): RowRule[] {
  return [
    {
      id: `persons.${column}_before_birth`,
      description: `${column} must not be before the birth year (and birth month, when given)`,
      sql: () =>
        `${column} is null or year(${column}) > birth_year or (year(${column}) = birth_year and month(${column}) >= coalesce(birth_month, 1))`,
      check: (row) => {
        if (row[column] === undefined) return true;
        const [year, month] = String(row[column]).split('-').map(Number) as [number, number];
        const birthYear = row.birth_year as number;
        return year > birthYear || (year === birthYear && month >= ((row.birth_month as number | undefined) ?? 1));
      },
    },
    {
      id: `persons.${column}_after_extract_date`,
      description: `${column} must not be after the delivery's extract_date`,
      sql: ({ extractDate }) => `${column} is null or ${column} <= ${quoteLiteral(extractDate)}::DATE`,
      check: (row, { extractDate }) => row[column] === undefined || String(row[column]) <= extractDate,
    },
  ];
}

export const persons = defineExtract({
  name: 'persons',
  description:
    'One row per person: birth year (and month), sex, labour-market region, and the dates of death and emigration that end observation.',
  key: 'person_id',
  referencesPerson: false,
  columns: {
    person_id: pseudonym,
    birth_year: integerBetween(1900, 2100),
    sex: oneOf(SEXES),
    region: optional(pseudonym),
    birth_month: optional(integerBetween(1, 12)),
    death_date: optional(isoDate),
    emigration_date: optional(isoDate),
  },
  rowRules: [...lifeEventRules('death_date'), ...lifeEventRules('emigration_date')],
});

export const benefitSpells = defineExtract({
  name: 'benefit_spells',
  description: 'UWV and municipal benefit spells; an empty end_date means ongoing.',
  key: 'spell_id',
  referencesPerson: true,
  coverage: { start: 'start_date', end: 'end_date' },
  columns: {
    spell_id: pseudonym,
    person_id: pseudonym,
    benefit_type: oneOf(BENEFIT_TYPES),
    start_date: isoDate,
    end_date: optional(isoDate),
    monthly_amount_eur: nonNegativeAmount('euros per month'),
    incapacity_cause: optional(oneOf(INCAPACITY_CAUSES)),
  },
  rowRules: [endNotBeforeStart('benefit_spells', 'start_date', 'end_date')],
});

export const employmentPeriods = defineExtract({
  name: 'employment_periods',
  description: 'Payroll periods (a month or four weeks) with paid hours and wages per job.',
  key: 'period_id',
  referencesPerson: true,
  coverage: { start: 'period_start', end: 'period_end' },
  columns: {
    period_id: pseudonym,
    person_id: pseudonym,
    job_id: pseudonym,
    employer_id: pseudonym,
    period_start: isoDate,
    period_end: isoDate,
    hours_paid: nonNegativeAmount('hours'),
    wage_eur: nonNegativeAmount('euros'),
    job_type: oneOf(JOB_TYPES),
  },
  rowRules: [
    endNotBeforeStart('employment_periods', 'period_start', 'period_end'),
    {
      id: 'employment_periods.period_too_long',
      description: `a payroll period must span at most ${MAX_PAYROLL_PERIOD_DAYS} days`,
      sql: () => `period_end is null or period_start is null or period_end - period_start < ${MAX_PAYROLL_PERIOD_DAYS}`,
      check: (row) => (Date.parse(String(row.period_end)) - Date.parse(String(row.period_start))) / 86_400_000 < MAX_PAYROLL_PERIOD_DAYS,
    },
  ],
});

export const trajectories = defineExtract({
  name: 'trajectories',
  description: 'IPS and usual-service (TVR) trajectories with provider, funder and cost.',
  key: 'trajectory_id',
  referencesPerson: true,
  coverage: { start: 'start_date', end: 'end_date' },
  columns: {
    trajectory_id: pseudonym,
    person_id: pseudonym,
    programme: oneOf(PROGRAMMES),
    start_date: isoDate,
    end_date: optional(isoDate),
    provider_id: pseudonym,
    funder: oneOf(FUNDERS),
    target_group: optional(oneOf(TARGET_GROUPS)),
    cost_eur: optional(nonNegativeAmount('euros')),
  },
  rowRules: [endNotBeforeStart('trajectories', 'start_date', 'end_date')],
});

export const healthcareCosts = defineExtract({
  name: 'healthcare_costs',
  description:
    'Yearly healthcare costs per person and claim category, as in the Zvw claims register; optional: a study without it runs, its table stays empty.',
  key: ['person_id', 'year', 'category'],
  optional: true,
  referencesPerson: true,
  // Calendar years, not dated rows: a file covers the months delivery.json states, if any.
  columns: {
    person_id: pseudonym,
    year: integerBetween(FIRST_HEALTHCARE_COST_YEAR, 2100),
    category: oneOf(HEALTHCARE_CATEGORIES),
    cost_eur: nonNegativeAmount('euros per year'),
  },
  rowRules: [
    {
      id: 'healthcare_costs.year_after_extract_date',
      description: "year must not be after the year of the delivery's extract_date",
      sql: ({ extractDate }) => `year <= year(${quoteLiteral(extractDate)}::DATE)`,
      check: (row, { extractDate }) => (row.year as number) <= Number(extractDate.slice(0, 4)),
    },
  ],
});

/** In load order: persons first, so the others can be checked against it. */
export const EXTRACTS = [persons, benefitSpells, employmentPeriods, trajectories, healthcareCosts] as const;
export type ExtractName = (typeof EXTRACTS)[number]['name'];

export function extractByName(name: string) {
  return EXTRACTS.find((extract) => extract.name === name);
}
