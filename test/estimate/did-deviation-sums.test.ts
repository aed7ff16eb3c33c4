// The DiD's streamed person-level sums (src/estimate/did-deviation-sums.ts)
// against the definitions, computed here person by person: a_im = w_i (y_im -
// mean_i y), sum_i a_im a_ik per arm and pair of months, sum_i a_im and
// sum_i w_i a_im per pattern and month.
import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import {
  type DeviationSums,
  panelStoredInPersonOrder,
  readDeviationSample,
  sumSampleDeviations,
  writeDeviationSums,
} from '../../src/estimate/did-deviation-sums.js';
import { maskObservedMonths } from '../../src/estimate/event-study-did.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';

// Months -1..1; p3 misses month 1 (its own pattern); u1 is not in did_persons; c0 and p0 never work (every
// deviation 0), so 04 marks them as not contributing.
const PERSONS = [
  { id: 'p0', treated: 1, weight: 1, months: [-1, 0, 1], employed: [0, 0, 0], hours: [0, 0, 0] },
  { id: 'p1', treated: 1, weight: 1, months: [-1, 0, 1], employed: [0, 1, 1], hours: [0, 20, 35.5] },
  { id: 'p2', treated: 1, weight: 1, months: [-1, 0, 1], employed: [1, 1, 0], hours: [12.25, 40, 0] },
  { id: 'p3', treated: 1, weight: 1, months: [-1, 0], employed: [0, 1], hours: [0, 8] },
  { id: 'c0', treated: 0, weight: 1.5, months: [-1, 0, 1], employed: [0, 0, 0], hours: [0, 0, 0] },
  { id: 'c1', treated: 0, weight: 0.5, months: [-1, 0, 1], employed: [0, 0, 1], hours: [0, 0, 60] },
  { id: 'c2', treated: 0, weight: 2.5, months: [-1, 0, 1], employed: [1, 0, 0], hours: [30, 0, 0] },
];
type Person = (typeof PERSONS)[number];
/** did_persons.months_mask: bit m - firstMonth for each month m from -1 to 2, as 04_select_did_persons.sql makes it. */
const PANEL_MONTHS = { firstMonth: -1, lastMonth: 2 };
const monthsMask = (months: number[]) => [-1, 0, 1, 2].map((month) => (months.includes(month) ? '1' : '0')).join('');
const neverWorks = (person: Person) => person.hours.every((hours) => hours === 0);
// Controls whose sums are rounded differently when added in another grouping ((0.2 + 0.4) + 0.6 is not 0.2 + (0.4 + 0.6)).
const ROUNDING = [0.1, 0.2, 0.3, 0.7].map((weight, index) => ({
  id: `c3${index}`,
  treated: 0,
  weight,
  months: [-1, 0, 1],
  employed: [0, 0, 1],
  hours: [0, 0, 3],
}));
const OUTCOMES = ['employed_any', 'hours'] as const;

async function loadSample(
  db: Database,
  claimed: (person: Person) => number[] = (person) => person.months,
  contributes: (person: Person) => boolean = (person) => !neverWorks(person),
  sample: readonly Person[] = PERSONS,
  /** 'as listed': the panel stored in PERSONS' order (p before c), not person order; 'person': as the panel stage stores it. */
  stored: 'as listed' | 'person' = 'as listed',
) {
  const rows = sample.flatMap((person) =>
    person.months.map(
      (month, index) => `('${person.id}', ${month}, true, ${person.employed[index] === 1}, ${person.hours[index]}::decimal(18, 2))`,
    ),
  );
  rows.push("('u1', 0, true, true, 99::decimal(18, 2))");
  await db.run(
    'panel',
    `create table panel_person_month as
     select * from (values ${rows.join(', ')}) as t(person_id, event_month, observed, employed_any, hours)
     ${stored === 'person' ? 'order by person_id, event_month' : ''}`,
  );
  await keyPanelPersons(db);
  await maskObservedMonths(db);
  // patterns by arm and months, persons by arm and id, as 04_select_did_persons.sql numbers them
  const patterns = [...new Set(sample.map((person) => `${person.treated}:${claimed(person).join(',')}`))].sort();
  const persons = sample
    .map((person) => ({
      ...person,
      pattern: patterns.indexOf(`${person.treated}:${claimed(person).join(',')}`),
    }))
    .sort((a, b) => a.treated - b.treated || a.id.localeCompare(b.id));
  await db.run(
    'did_persons',
    `create or replace table did_persons as select * from (values ${persons
      .map(
        (person, index) =>
          `('${person.id}', ${person.treated}, ${person.weight}::double, ${claimed(person).length}, ${person.pattern}, ${index}, '${monthsMask(claimed(person))}'::bit, ${contributes(person)})`,
      )
      .join(', ')}) as t(person_id, treated, weight, months_observed, pattern, person_index, months_mask, contributes)`,
  );
  await db.run(
    'did_patterns',
    `create or replace table did_patterns as select * from (values ${patterns
      .map((pattern, index) => `(${index}, ${pattern.split(':')[0]}, [${pattern.split(':')[1]}])`)
      .join(', ')}) as t(pattern, treated, observed_months)`,
  );
}

/** The samples' persons as sumSampleDeviations finds them: each sample's did_persons, kept by 04_keep_did_sample_persons.sql. */
async function keepSample(db: Database, sampleNumber: number, outcomes: readonly (typeof OUTCOMES)[number][] = OUTCOMES) {
  await db.runFile('estimate/04_keep_did_sample_persons.sql', { sample_no: sampleNumber });
  return readDeviationSample(db, outcomes);
}

/** Sums the samples in did_sample_persons in one stream and reads back sample `written`'s tables. */
async function sumAndRead(db: Database, samples: Awaited<ReturnType<typeof keepSample>>[], personsPerBlock?: number, written = 0) {
  const sums = await sumSampleDeviations(db, samples, PANEL_MONTHS, { personsPerBlock });
  await writeDeviationSums(db, sums[written]!);
  return {
    products: productRows(sums[written]!),
    sums: await db.query<{ outcome: string; pattern: number; event_month: number; within_sum: number; weighted_within_sum: number }>(
      'sums',
      'select * from did_deviation_sums order by all',
    ),
  };
}

/** A sample's products of deviations, one row per outcome, arm and pair of months (month <= other) the arm observes together. */
function productRows(sums: DeviationSums) {
  const { firstMonth, monthCount } = sums;
  return sums.sample.outcomes.flatMap((outcome, outcomeIndex) =>
    [0, 1].flatMap((treated) =>
      Array.from({ length: monthCount }, (_, month) => month + firstMonth).flatMap((month) =>
        Array.from({ length: firstMonth + monthCount - month }, (_, offset) => month + offset)
          .filter((other) => sums.observedPairs[sums.pairIndex(treated, month, other)])
          .map((other) => ({
            outcome,
            treated,
            event_month: month,
            other_event_month: other,
            deviation_product: sums.products[outcomeIndex * 2 * monthCount * monthCount + sums.pairIndex(treated, month, other)]!,
          })),
      ),
    ),
  );
}

function deviations(person: Person, values: number[]): number[] {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return values.map((value) => person.weight * (value - mean));
}

const valuesOf = (person: Person, outcome: (typeof OUTCOMES)[number]) => (outcome === 'hours' ? person.hours : person.employed);

describe('sumSampleDeviations', () => {
  test.each([1, 2, 256])('gives the sums by definition, in blocks of %i persons', async (personsPerBlock) => {
    const { products, sums } = await withDatabase(async (db) => {
      await loadSample(db);
      return sumAndRead(db, [await keepSample(db, 0)], personsPerBlock);
    });
    // arm 0 observes 3 pairs of 3 months (6 with month <= other), arm 1 the same: 12 per outcome
    expect(products).toHaveLength(OUTCOMES.length * 12);
    for (const row of products) {
      const expected = PERSONS.filter((person) => person.treated === row.treated).reduce((total, person) => {
        const [m, k] = [person.months.indexOf(row.event_month), person.months.indexOf(row.other_event_month)];
        if (m < 0 || k < 0) return total;
        const a = deviations(person, valuesOf(person, row.outcome as (typeof OUTCOMES)[number]));
        return total + a[m]! * a[k]!;
      }, 0);
      expect(row.deviation_product).toBeCloseTo(expected, 12);
    }
    // patterns: 0 = controls (-1..1), 1 = treated (-1, 0), 2 = treated (-1..1)
    const weighted = sums.find((row) => row.outcome === 'hours' && row.pattern === 0 && row.event_month === 1)!;
    const [c1, c2] = ['c1', 'c2'].map((id) => PERSONS.find((person) => person.id === id)!) as [Person, Person];
    expect(weighted.within_sum).toBeCloseTo(deviations(c1, c1.hours)[2]! + deviations(c2, c2.hours)[2]!, 12);
    expect(weighted.weighted_within_sum).toBeCloseTo(0.5 * deviations(c1, c1.hours)[2]! + 2.5 * deviations(c2, c2.hours)[2]!, 12);
    expect(sums.filter((row) => row.pattern === 1).map((row) => row.event_month)).toEqual([-1, 0, -1, 0]);
  });

  test('gives the sums by definition when both streams take several chunks (persons across chunk ends)', async () => {
    // 2,600 persons: their memberships in two chunks (2,048 rows and the rest), their 7,800 panel rows in four, so
    // persons' rows run across chunk ends and memberships are read ahead across chunks
    const many: Person[] = Array.from({ length: 2600 }, (_, index) => ({
      id: `q${String(index).padStart(4, '0')}`,
      treated: index % 2,
      weight: 1 + (index % 7) / 4,
      months: [-1, 0, 1],
      employed: [index % 3 === 0 ? 1 : 0, index % 2, 1],
      hours: [(index % 3 === 0 ? 10 : 0) + (index % 11), (index % 5) * 7.25, 20 + (index % 13)],
    }));
    const { products, sums } = await withDatabase(async (db) => {
      await loadSample(db, undefined, undefined, many, 'person');
      return sumAndRead(db, [await keepSample(db, 0)]);
    });
    expect(products).toHaveLength(OUTCOMES.length * 12);
    const close = (found: number, expected: number) =>
      expect(Math.abs(found - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    for (const row of products) {
      const expected = many
        .filter((person) => person.treated === row.treated)
        .reduce((total, person) => {
          const a = deviations(person, valuesOf(person, row.outcome as (typeof OUTCOMES)[number]));
          return total + a[person.months.indexOf(row.event_month)]! * a[person.months.indexOf(row.other_event_month)]!;
        }, 0);
      close(row.deviation_product, expected);
    }
    expect(sums).toHaveLength(OUTCOMES.length * 2 * 3);
    for (const row of sums) {
      const arm = many.filter((person) => person.treated === (row.pattern === 0 ? 0 : 1));
      const position = row.event_month + 1;
      const within = (person: Person) => deviations(person, valuesOf(person, row.outcome as (typeof OUTCOMES)[number]))[position]!;
      close(
        row.within_sum,
        arm.reduce((total, person) => total + within(person), 0),
      );
      close(
        row.weighted_within_sum,
        arm.reduce((total, person) => total + person.weight * within(person), 0),
      );
    }
  });

  test.each([1, 2, 3])('leaving out the persons whose deviations are all 0 changes no bit (blocks of %i)', async (personsPerBlock) => {
    const sumsWith = (contributes: (person: Person) => boolean) =>
      withDatabase(async (db) => {
        await loadSample(db, (person) => person.months, contributes, [...PERSONS, ...ROUNDING]);
        return sumAndRead(db, [await keepSample(db, 0)], personsPerBlock);
      });
    const everyone = await sumsWith(() => true);
    const leftOut = await sumsWith((person) => !neverWorks(person));
    // toEqual tells every double apart, +0 from -0 too
    expect(leftOut).toEqual(everyone);
  });

  test.each([1, 2])(
    'a panel stored in person order is read as stored, with the same bits as sorted (blocks of %i)',
    async (personsPerBlock) => {
      const sumsOf = (stored: 'as listed' | 'person') =>
        withDatabase(async (db) => {
          await loadSample(db, (person) => person.months, undefined, [...PERSONS, ...ROUNDING], stored);
          return {
            storedInOrder: await panelStoredInPersonOrder(db),
            ...(await sumAndRead(db, [await keepSample(db, 0)], personsPerBlock)),
          };
        });
      const { storedInOrder: listedInOrder, ...sorted } = await sumsOf('as listed');
      const { storedInOrder, ...asStored } = await sumsOf('person');
      expect([listedInOrder, storedInOrder]).toEqual([false, true]);
      expect(asStored.products.length).toBeGreaterThan(0);
      expect(asStored).toEqual(sorted);
    },
  );

  test("a panel is in person order only if every person's observed months come together, persons in person_id order", async () => {
    const storedInOrder = (values: string) =>
      withDatabase(async (db) => {
        await db.run(
          'panel',
          `create table panel_person_month as
           select * from (values ${values}) as t(person_id, event_month, observed, employed_any, hours)`,
        );
        await keyPanelPersons(db);
        await maskObservedMonths(db);
        return panelStoredInPersonOrder(db);
      });
    const row = (id: string, month: number, observed = true) =>
      `('${id}', ${month}, ${observed}, ${observed ? 'true' : 'null'}, ${observed ? '1.5' : 'null'})`;
    // months within a person in any order, and unobserved months anywhere, keep the persons' observed months together
    expect(
      await storedInOrder([row('a', 1), row('a', 0), row('b', 5, false), row('b', 0), row('a', 2, false), row('b', 1)].join(', ')),
    ).toBe(true);
    expect(await storedInOrder([row('b', 0), row('a', 0)].join(', '))).toBe(false);
    expect(await storedInOrder([row('a', 0), row('b', 0), row('a', 1)].join(', '))).toBe(false);
  });

  test.each([1, 2])('a sample summed in one stream with another gives the same bits as alone (blocks of %i)', async (personsPerBlock) => {
    const withOther = await withDatabase(async (db) => {
      await loadSample(db, (person) => person.months, undefined, [...PERSONS, ...ROUNDING]);
      const other = await keepSample(db, 0, ['hours']);
      // the second sample: its own persons (every other one) and weights, numbered as 04 numbers them
      await db.run(
        'other sample',
        `create or replace table did_persons as
           select * replace (weight * 2 as weight, (row_number() over (order by treated, person_id) - 1)::integer as person_index)
           from did_persons where person_index % 2 = 0`,
      );
      const sample = await keepSample(db, 1);
      return sumAndRead(db, [other, sample], personsPerBlock, 1);
    });
    const alone = await withDatabase(async (db) => {
      await loadSample(db, (person) => person.months, undefined, [...PERSONS, ...ROUNDING]);
      await db.run(
        'the same sample',
        `create or replace table did_persons as
           select * replace (weight * 2 as weight, (row_number() over (order by treated, person_id) - 1)::integer as person_index)
           from did_persons where person_index % 2 = 0`,
      );
      return sumAndRead(db, [await keepSample(db, 0)], personsPerBlock);
    });
    expect(withOther.products.length).toBeGreaterThan(0);
    expect(withOther).toEqual(alone);
  });

  test("work beside the stream starts once the panel's first chunk arrives, and settles before the sums return", async () => {
    const events: string[] = [];
    const sums = await withDatabase(async (db) => {
      await loadSample(db);
      // every chunk the stream hands over is logged, so the first one's place among the events is known
      const stream = db.stream.bind(db);
      db.stream = (label, sql, params, consume) =>
        stream(label, sql, params, (result) => {
          const fetchChunk = result.fetchChunk.bind(result);
          result.fetchChunk = async () => {
            const chunk = await fetchChunk();
            events.push('chunk');
            return chunk;
          };
          return consume(result);
        });
      const besideStream = async () => {
        events.push('beside started');
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('beside settled');
      };
      const sums = await sumSampleDeviations(db, [await keepSample(db, 0)], PANEL_MONTHS, { besideStream });
      events.push('summed');
      return sums;
    });
    expect(events.filter((event) => event.startsWith('beside'))).toEqual(['beside started', 'beside settled']);
    expect(events.indexOf('beside started')).toBeGreaterThan(events.indexOf('chunk'));
    expect(events.at(-1)).toBe('summed');
    expect(sums[0]!.sample.patterns.length).toBeGreaterThan(0);
  });

  test('work beside an empty stream still runs, and its failure is the failure of the sums', async () => {
    await expect(
      withDatabase(async (db) => {
        await loadSample(db);
        await db.run('no one contributes', 'update did_persons set contributes = false');
        await sumSampleDeviations(db, [await keepSample(db, 0)], PANEL_MONTHS, {
          besideStream: () => Promise.reject(new Error('the differences failed')),
        });
      }),
    ).rejects.toThrow('the differences failed');
  });

  test('a person whose panel months are not its pattern is an error, not a silent sum', async () => {
    const claimingMonthTwo = (person: Person) => (person.id === 'c1' ? [...person.months, 2] : person.months);
    await expect(
      withDatabase(async (db) => {
        await loadSample(db, claimingMonthTwo);
        await sumSampleDeviations(db, [await keepSample(db, 0)], PANEL_MONTHS);
      }),
    ).rejects.toThrow('a person lacks a month of its pattern in the stream');
  });

  test('persons out of person_index order within an arm are an error, not other blocks', async () => {
    await expect(
      withDatabase(async (db) => {
        await loadSample(db);
        // person_index against person_id order: the stream (person_id order) would see them descending
        await db.run('reverse', 'update did_persons set person_index = 100 - person_index');
        await sumSampleDeviations(db, [await keepSample(db, 0)], PANEL_MONTHS);
      }),
    ).rejects.toThrow('persons out of person_index order');
  });
});
