/**
 * The person-level sums of the event-study DiD, for every matched sample at
 * once, in one streamed pass over the panel
 * (sql/estimate/06_read_did_person_months.sql).
 *
 * With a_im = w_i (y_im - mean_i y), person i's weighted within-person
 * deviation in month m (the mean over the months it is in the sample's
 * estimate), each sample's DiD needs, per outcome:
 * - per arm and pair of months (m <= k) observed together, sum_i a_im a_ik
 *   (the coefficient-free part of the cluster meat; did_deviation_products);
 * - per pattern and month, sum_i a_im (X'Wy) and sum_i w_i a_im (the part of
 *   the meat that depends on the coefficients; did_deviation_sums).
 *
 * A person's rows arrive together (its months, the first one with its
 * samples), persons in person_id order, so only one person and, per sample,
 * one block of persons
 * per arm are held: memory does not grow with the samples' persons. A block
 * is `personsPerBlock` consecutive person_index values of one arm, laid out
 * month by month over the sample's months (0 where a person is not in the
 * estimate), so each pair of months is one inner product over the block;
 * block results are added in stream order. The stream's order is total, so
 * the sums are the same bits whatever the thread count or memory limit, and
 * a sample's sums do not depend on which other samples share the stream.
 * Persons whose deviations are all 0 are not streamed (06), and their
 * absence changes no bit either.
 * Reading the panel once for all samples is the point: streaming each
 * sample's person-months apart read and sorted about five times as many
 * rows at 1 M persons (12 samples), and DuckDB's fetch of a chunk, not the
 * arithmetic here, was the cost.
 *
 * This is the one place the DiD loops in JavaScript: its cost is
 * persons x (months observed)^2 x outcomes multiply-adds, which SQL could
 * only reach through joins of lists that copy every list once per pair.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import type { Outcome } from '../config/outcomes.js';
import { chunkColumn, expectColumnType } from '../db/chunk-columns.js';
import { columnPattern, type Database, readSqlFile } from '../db/database.js';
import { isDebugEnabled, logDebug } from '../log.js';

/** Persons per block: the block's deviations (outcomes x months x persons doubles, 1 MiB at 8 x 61 x 256) stay in cache. */
export const DEFAULT_PERSONS_PER_BLOCK = 256;

interface Pattern {
  treated: number;
  /** Event months observed, ascending. */
  months: number[];
}

/** A sample's part of the stream: its outcomes, its patterns (numbered from 0) and each arm's first person_index. */
export interface DeviationSample {
  outcomes: readonly Outcome[];
  patterns: readonly Pattern[];
  /** The person_index of each arm's first person (control, treated): blocks are counted from it. */
  armFirstPerson: readonly [number, number];
}

/** One sample's sums over its persons, filled block by block; indexes follow outcome, then month. */
export class DeviationSums {
  readonly products: Float64Array;
  /** Whether any person of the arm is observed in both months of a pair. */
  readonly observedPairs: Uint8Array;
  readonly withinSums: Float64Array[];
  readonly weightedWithinSums: Float64Array[];
  readonly firstMonth: number;
  readonly monthCount: number;
  readonly outcomes: number;
  /** Per arm: the block's deviations, outcome by outcome, month by month, person by person. */
  private readonly blocks: [Float64Array, Float64Array];
  /** Per arm: which months of the block hold a person's value. */
  private readonly blockMonths: [Uint8Array, Uint8Array];
  /** Per arm and outcome: the persons in the block with a non-zero deviation of the outcome (the others add exact zeros). */
  private readonly blockPersons: [Int32Array, Int32Array];
  private readonly blockNumber = [-1, -1];
  private readonly lastPerson = [-1, -1];
  private readonly personValues: Float64Array;

  constructor(
    readonly sample: DeviationSample,
    private readonly personsPerBlock: number,
  ) {
    const { patterns } = sample;
    const allMonths = patterns.flatMap((pattern) => pattern.months);
    this.firstMonth = allMonths.length ? Math.min(...allMonths) : 0;
    this.monthCount = allMonths.length ? Math.max(...allMonths) - this.firstMonth + 1 : 1;
    this.outcomes = sample.outcomes.length;
    const { monthCount, outcomes } = this;
    this.products = new Float64Array(2 * outcomes * monthCount * monthCount);
    this.observedPairs = new Uint8Array(2 * monthCount * monthCount);
    this.withinSums = patterns.map((pattern) => new Float64Array(outcomes * pattern.months.length));
    this.weightedWithinSums = patterns.map((pattern) => new Float64Array(outcomes * pattern.months.length));
    this.blocks = [0, 1].map(() => new Float64Array(outcomes * monthCount * personsPerBlock)) as [Float64Array, Float64Array];
    this.blockMonths = [0, 1].map(() => new Uint8Array(monthCount)) as [Uint8Array, Uint8Array];
    this.blockPersons = [new Int32Array(outcomes), new Int32Array(outcomes)];
    this.personValues = new Float64Array(outcomes * Math.max(1, ...patterns.map((pattern) => pattern.months.length)));
    for (const pattern of patterns) {
      for (const month of pattern.months) {
        for (const other of pattern.months) this.observedPairs[this.pairIndex(pattern.treated, month, other)] = 1;
      }
    }
  }

  pairIndex(treated: number, month: number, other: number): number {
    return (treated * this.monthCount + month - this.firstMonth) * this.monthCount + other - this.firstMonth;
  }

  /** Buffer of one person's values, outcome by outcome, month position within: filled by the caller, then addPerson. */
  get values(): Float64Array {
    return this.personValues;
  }

  /**
   * Adds the person whose values are in `values` (months observed in its pattern's order). Its arm's block holds the
   * persons with person_index first + b * personsPerBlock onwards, whether or not each is streamed: a person left out
   * (06: its deviations are all 0) would only have added exact zeros to its block's sums, so leaving it out changes
   * no bit.
   */
  addPerson(patternNumber: number, personIndex: number, weight: number): void {
    const pattern = this.sample.patterns[patternNumber];
    if (!pattern) throw new Error(`event-study DiD: a person of pattern ${patternNumber}, which the sample does not have`);
    const arm = pattern.treated;
    if (personIndex <= this.lastPerson[arm]!) throw new Error('event-study DiD: persons out of person_index order in the stream');
    this.lastPerson[arm] = personIndex;
    const blockNumber = Math.floor((personIndex - this.sample.armFirstPerson[arm]!) / this.personsPerBlock);
    if (blockNumber !== this.blockNumber[arm]) this.flush(arm);
    this.blockNumber[arm] = blockNumber;
    const block = this.blocks[arm]!;
    const blockMonths = this.blockMonths[arm]!;
    const blockPersons = this.blockPersons[arm]!;
    const { personValues, personsPerBlock, monthCount, firstMonth } = this;
    const months = pattern.months;
    const within = this.withinSums[patternNumber]!;
    const weighted = this.weightedWithinSums[patternNumber]!;
    for (const month of months) blockMonths[month - firstMonth] = 1;
    for (let outcome = 0; outcome < this.outcomes; outcome++) {
      const first = outcome * months.length;
      let sum = 0;
      for (let position = 0; position < months.length; position++) sum += personValues[first + position]!;
      const mean = sum / months.length;
      // The person takes the outcome's next slot only if a deviation is not 0: all-zero ones stay there as zeros.
      const slot = blockPersons[outcome]!;
      let varies = false;
      for (let position = 0; position < months.length; position++) {
        const deviation = weight * (personValues[first + position]! - mean);
        varies ||= deviation !== 0;
        block[(outcome * monthCount + months[position]! - firstMonth) * personsPerBlock + slot] = deviation;
        within[first + position]! += deviation;
        weighted[first + position]! += weight * deviation;
      }
      if (varies) blockPersons[outcome] = slot + 1;
    }
  }

  /** Adds both arms' blocks to the totals: after the last person. */
  finish(): void {
    this.flush(0);
    this.flush(1);
  }

  /** Adds the arm's block's inner products to the totals, and empties it. */
  private flush(arm: number): void {
    const block = this.blocks[arm]!;
    const blockMonths = this.blockMonths[arm]!;
    const blockPersons = this.blockPersons[arm]!;
    const { products, personsPerBlock, monthCount } = this;
    const months: number[] = [];
    for (let month = 0; month < monthCount; month++) if (blockMonths[month]) months.push(month);
    for (let outcome = 0; outcome < this.outcomes; outcome++) {
      const persons = blockPersons[outcome]!;
      if (persons === 0) continue;
      const productBase = (outcome * 2 + arm) * monthCount * monthCount;
      const column = (index: number) => (outcome * monthCount + months[index]!) * personsPerBlock;
      // Two months (rows) against four others at a time: each value loaded once serves several products, and
      // every product is still its own sum over the block's persons in person order (the same bits).
      let index = 0;
      for (; index + 1 < months.length; index += 2) {
        const row = column(index);
        const nextRow = column(index + 1);
        const productRow = productBase + months[index]! * monthCount;
        const nextProductRow = productBase + months[index + 1]! * monthCount;
        let diagonal = 0;
        for (let person = 0; person < persons; person++) diagonal += block[row + person]! * block[row + person]!;
        products[productRow + months[index]!]! += diagonal;
        let other = index + 1;
        for (; other + 3 < months.length; other += 4) {
          const [first, second, third, fourth] = [column(other), column(other + 1), column(other + 2), column(other + 3)];
          let p1 = 0;
          let p2 = 0;
          let p3 = 0;
          let p4 = 0;
          let q1 = 0;
          let q2 = 0;
          let q3 = 0;
          let q4 = 0;
          for (let person = 0; person < persons; person++) {
            const value = block[row + person]!;
            const nextValue = block[nextRow + person]!;
            const a = block[first + person]!;
            const b = block[second + person]!;
            const c = block[third + person]!;
            const d = block[fourth + person]!;
            p1 += value * a;
            p2 += value * b;
            p3 += value * c;
            p4 += value * d;
            q1 += nextValue * a;
            q2 += nextValue * b;
            q3 += nextValue * c;
            q4 += nextValue * d;
          }
          products[productRow + months[other]!]! += p1;
          products[productRow + months[other + 1]!]! += p2;
          products[productRow + months[other + 2]!]! += p3;
          products[productRow + months[other + 3]!]! += p4;
          // (with other = index + 1, q1 is the next row's diagonal)
          products[nextProductRow + months[other]!]! += q1;
          products[nextProductRow + months[other + 1]!]! += q2;
          products[nextProductRow + months[other + 2]!]! += q3;
          products[nextProductRow + months[other + 3]!]! += q4;
        }
        for (; other < months.length; other++) {
          const first = column(other);
          let product = 0;
          let nextProduct = 0;
          for (let person = 0; person < persons; person++) {
            product += block[row + person]! * block[first + person]!;
            nextProduct += block[nextRow + person]! * block[first + person]!;
          }
          products[productRow + months[other]!]! += product;
          products[nextProductRow + months[other]!]! += nextProduct;
        }
      }
      if (index < months.length) {
        const row = column(index);
        let product = 0;
        for (let person = 0; person < persons; person++) product += block[row + person]! * block[row + person]!;
        products[productBase + months[index]! * monthCount + months[index]!]! += product;
      }
      // A person's months outside its pattern must read 0 in the next block.
      for (let index = 0; index < months.length; index++) block.fill(0, column(index), column(index) + persons);
      blockPersons[outcome] = 0;
    }
    blockMonths.fill(0);
  }
}

/** The sample now in did_persons and did_patterns (04_select_did_persons.sql), as sumSampleDeviations needs it. */
export async function readDeviationSample(db: Database, outcomes: readonly Outcome[]): Promise<DeviationSample> {
  const patterns = await db.query<Pattern & { pattern: number }>(
    'estimate: did patterns',
    'select pattern, treated::integer as treated, observed_months as months from did_patterns order by pattern',
  );
  patterns.forEach((pattern, index) => {
    if (pattern.pattern !== index)
      throw new Error(`event-study DiD: patterns must be numbered 0, 1, ... (found ${pattern.pattern} at ${index})`);
  });
  const arms = await db.query<{ treated: number; first_person: number }>(
    'estimate: did arms',
    'select treated::integer as treated, min(person_index) as first_person from did_persons group by treated',
  );
  const firstPerson = (treated: number) => arms.find((arm) => arm.treated === treated)?.first_person ?? 0;
  return {
    outcomes,
    patterns: patterns.map(({ treated, months }) => ({ treated, months })),
    armFirstPerson: [firstPerson(0), firstPerson(1)],
  };
}

export interface StreamOptions {
  /** Persons per block of the sums (default DEFAULT_PERSONS_PER_BLOCK). */
  personsPerBlock?: number;
  /**
   * Other SQL work, run on its own connection while the stream is summed in
   * JavaScript: started once DuckDB has sorted the stream (its first chunk
   * arrives), so that the two never need DuckDB's memory at once (the sort
   * beside the differences' sums ran out of 2 GiB at 2 M persons), and
   * awaited before the stream's sums are returned.
   */
  besideStream?: () => Promise<void>;
}

/**
 * Streams every sample's persons and person-months (did_sample_persons must
 * hold the samples, numbered 0, 1, ... in `samples`' order) and returns each
 * sample's sums, for writeDeviationSums.
 */
export async function sumSampleDeviations(
  db: Database,
  samples: readonly DeviationSample[],
  /** The month of bit 0 of the masks (did_observed_months, did_sample_persons), and the last month a mask can hold. */
  panelMonths: { firstMonth: number; lastMonth: number },
  options: StreamOptions = {},
): Promise<DeviationSums[]> {
  const { personsPerBlock = DEFAULT_PERSONS_PER_BLOCK, besideStream = async () => {} } = options;
  const sums = samples.map((sample) => new DeviationSums(sample, personsPerBlock));
  const streamOutcomes = [...new Set(samples.flatMap((sample) => sample.outcomes))];
  // per sample, the stream column of each of its outcomes
  const outcomeSlots = samples.map((sample) => sample.outcomes.map((outcome) => streamOutcomes.indexOf(outcome)));
  const firstMonth = panelMonths.firstMonth;
  const panelMonthCount = panelMonths.lastMonth - firstMonth + 1;
  // the person's values, stream outcome by outcome, month by month, and in which person each month was last seen
  const monthValues = new Float64Array(Math.max(1, streamOutcomes.length) * panelMonthCount);
  const monthSeen = new Int32Array(panelMonthCount).fill(-1);
  const memberships = { sample: [] as number[], pattern: [] as number[], personIndex: [] as number[], weight: [] as number[] };
  let personNumber = 0;
  const started = performance.now();
  let rows = 0;

  const addPerson = () => {
    for (let membership = 0; membership < memberships.sample.length; membership++) {
      const sampleNumber = memberships.sample[membership]!;
      const sampleSums = sums[sampleNumber];
      if (!sampleSums) throw new Error(`event-study DiD: the stream has sample ${sampleNumber}, beyond the ${sums.length} summed`);
      const pattern = sampleSums.sample.patterns[memberships.pattern[membership]!];
      if (!pattern) throw new Error('event-study DiD: a person of a pattern its sample does not have');
      const values = sampleSums.values;
      const slots = outcomeSlots[sampleNumber]!;
      const months = pattern.months;
      for (let position = 0; position < months.length; position++) {
        const month = months[position]! - firstMonth;
        if (monthSeen[month] !== personNumber) throw new Error('event-study DiD: a person lacks a month of its pattern in the stream');
        for (let outcome = 0; outcome < slots.length; outcome++) {
          values[outcome * months.length + position] = monthValues[slots[outcome]! * panelMonthCount + month]!;
        }
      }
      sampleSums.addPerson(memberships.pattern[membership]!, memberships.personIndex[membership]!, memberships.weight[membership]!);
    }
    for (const list of Object.values(memberships)) list.length = 0;
    personNumber++;
  };

  let beside: Promise<void> | undefined;
  const startBeside = () => {
    if (!beside) {
      beside = besideStream();
      // awaited below: a failure while the stream is summed is not left unhandled
      beside.catch(() => {});
    }
    return beside;
  };
  await db.stream(
    'sql/estimate/06_read_did_person_months.sql',
    readSqlFile('estimate/06_read_did_person_months.sql'),
    {
      outcome_pattern: columnPattern(streamOutcomes),
      first_month: firstMonth,
    },
    async (result) => {
      const names = result.columnNames();
      const column = (name: string) => {
        const index = names.indexOf(name);
        if (index < 0) throw new Error(`event-study DiD: the person-month stream has no column ${name}`);
        return index;
      };
      const integerColumns = ['person_number', 'sample_no', 'pattern', 'person_index', 'event_month'].map(column);
      const [personColumn, sampleColumn, patternColumn, indexColumn, monthColumn] = integerColumns as [
        number,
        number,
        number,
        number,
        number,
      ];
      const weightColumn = column('weight');
      const outcomeColumns = streamOutcomes.map(column);
      for (const index of integerColumns) expectColumnType(result, index, DuckDBTypeId.INTEGER);
      for (const index of [weightColumn, ...outcomeColumns]) expectColumnType(result, index, DuckDBTypeId.DOUBLE);
      let person = -1;
      // The next chunk is fetched while this one is summed.
      let next = result.fetchChunk();
      for (;;) {
        const chunk = await next;
        startBeside();
        if (!chunk || chunk.rowCount === 0) break;
        const rowCount = chunk.rowCount; // a call into DuckDB each time it is read
        rows += rowCount;
        const persons = chunkColumn(chunk, personColumn, DuckDBTypeId.INTEGER);
        const sampleNumbers = chunkColumn(chunk, sampleColumn, DuckDBTypeId.INTEGER);
        const patterns = chunkColumn(chunk, patternColumn, DuckDBTypeId.INTEGER);
        const personIndexes = chunkColumn(chunk, indexColumn, DuckDBTypeId.INTEGER);
        const weights = chunkColumn(chunk, weightColumn, DuckDBTypeId.DOUBLE);
        const eventMonths = chunkColumn(chunk, monthColumn, DuckDBTypeId.INTEGER);
        const outcomeValues = outcomeColumns.map((index) => chunkColumn(chunk, index, DuckDBTypeId.DOUBLE));
        next = result.fetchChunk();
        for (let row = 0; row < rowCount; row++) {
          const rowPerson = persons[row]!;
          if (rowPerson !== person) {
            if (person >= 0) addPerson();
            person = rowPerson;
          }
          // -1: a month after the person's first, which carries no sample (06)
          const sampleNumber = sampleNumbers[row]!;
          if (sampleNumber >= 0) {
            memberships.sample.push(sampleNumber);
            memberships.pattern.push(patterns[row]!);
            memberships.personIndex.push(personIndexes[row]!);
            memberships.weight.push(weights[row]!);
          }
          const month = eventMonths[row]! - firstMonth;
          if (!(month >= 0 && month < panelMonthCount)) throw new Error('event-study DiD: a person-month outside the panel months');
          monthSeen[month] = personNumber;
          for (let outcome = 0; outcome < outcomeValues.length; outcome++) {
            monthValues[outcome * panelMonthCount + month] = outcomeValues[outcome]![row]!;
          }
        }
      }
      if (person >= 0) addPerson();
    },
  );
  for (const sampleSums of sums) sampleSums.finish();
  await startBeside();
  if (isDebugEnabled()) {
    const ms = Math.round(performance.now() - started);
    logDebug(`estimate: did person-months summed: ${rows} rows, ${samples.length} samples, ${ms} ms`, {
      event: 'did_stream',
      rows,
      samples: samples.length,
      duration_ms: ms,
    });
  }
  return sums;
}

/** Replaces did_deviation_products and did_deviation_sums with one sample's sums. */
export async function writeDeviationSums(db: Database, sums: DeviationSums): Promise<void> {
  const { outcomes, patterns } = sums.sample;
  const { firstMonth, monthCount } = sums;
  await db.runFile('estimate/07_create_did_deviation_sums.sql');
  const products = {
    outcome: [] as string[],
    treated: [] as number[],
    month: [] as number[],
    other: [] as number[],
    value: [] as number[],
  };
  for (const [outcomeIndex, outcome] of outcomes.entries()) {
    for (const treated of [0, 1]) {
      for (let month = firstMonth; month < firstMonth + monthCount; month++) {
        for (let other = month; other < firstMonth + monthCount; other++) {
          const pair = sums.pairIndex(treated, month, other);
          if (!sums.observedPairs[pair]) continue;
          products.outcome.push(outcome);
          products.treated.push(treated);
          products.month.push(month);
          products.other.push(other);
          products.value.push(sums.products[outcomeIndex * 2 * monthCount * monthCount + pair]!);
        }
      }
    }
  }
  await db.appendColumns('did_deviation_products', [
    { type: 'VARCHAR', values: products.outcome },
    { type: 'INTEGER', values: products.treated },
    { type: 'INTEGER', values: products.month },
    { type: 'INTEGER', values: products.other },
    { type: 'DOUBLE', values: products.value },
  ]);
  const deviations = {
    outcome: [] as string[],
    treated: [] as number[],
    pattern: [] as number[],
    month: [] as number[],
    within: [] as number[],
    weighted: [] as number[],
  };
  for (const [outcomeIndex, outcome] of outcomes.entries()) {
    for (const [patternNumber, pattern] of patterns.entries()) {
      pattern.months.forEach((month, position) => {
        const index = outcomeIndex * pattern.months.length + position;
        deviations.outcome.push(outcome);
        deviations.treated.push(pattern.treated);
        deviations.pattern.push(patternNumber);
        deviations.month.push(month);
        deviations.within.push(sums.withinSums[patternNumber]![index]!);
        deviations.weighted.push(sums.weightedWithinSums[patternNumber]![index]!);
      });
    }
  }
  await db.appendColumns('did_deviation_sums', [
    { type: 'VARCHAR', values: deviations.outcome },
    { type: 'INTEGER', values: deviations.treated },
    { type: 'INTEGER', values: deviations.pattern },
    { type: 'INTEGER', values: deviations.month },
    { type: 'DOUBLE', values: deviations.within },
    { type: 'DOUBLE', values: deviations.weighted },
  ]);
}
