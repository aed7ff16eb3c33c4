/**
 * The person-level sums of the event-study DiD, in one streamed pass over
 * the sample's person-months (sql/estimate/06_read_did_person_months.sql).
 *
 * With a_im = w_i (y_im - mean_i y), person i's weighted within-person
 * deviation in month m (the mean over the months it is in the estimate),
 * the DiD needs, per outcome:
 * - per arm and pair of months (m <= k) observed together, sum_i a_im a_ik
 *   (the coefficient-free part of the cluster meat; did_deviation_products);
 * - per pattern and month, sum_i a_im (X'Wy) and sum_i w_i a_im (the part of
 *   the meat that depends on the coefficients; did_deviation_sums).
 *
 * Rows arrive in person order, a person's months together, so only one
 * person and one block of persons are held: memory does not grow with the
 * sample. Persons of one pattern (arm and months observed) are gathered in
 * blocks of `personsPerBlock` consecutive person_index values, laid out
 * month by month, so each pair of months is one inner product over the
 * block; block results are added in stream order. The stream's order is
 * total (person_index, event_month), so the sums are the same bits whatever
 * the thread count or memory limit; persons whose deviations are all 0 are
 * not streamed, and their absence changes no bit either.
 *
 * This is the one place the DiD loops in JavaScript: its cost is
 * persons x (months observed)^2 x outcomes multiply-adds, which SQL could
 * only reach through joins of lists that copy every list once per pair.
 */
import type { Outcome } from '../config/outcomes.js';
import { columnPattern, type Database, readSqlFile } from '../db/database.js';
import { isDebugEnabled, logDebug } from '../log.js';

/** Persons per block: the block's deviations (outcomes x months x persons doubles, 1 MiB at 8 x 61 x 256) stay in cache. */
export const DEFAULT_PERSONS_PER_BLOCK = 256;

interface Pattern {
  treated: number;
  /** Event months observed, ascending. */
  months: number[];
  /** The person_index of the pattern's first person: blocks are counted from it. */
  first_person: number;
}

/** Sums over persons, filled block by block; indexes follow outcome, then month position. */
class DeviationSums {
  readonly products: Float64Array;
  /** Whether any person of the arm is observed in both months of a pair. */
  readonly observedPairs: Uint8Array;
  readonly withinSums: Float64Array[];
  readonly weightedWithinSums: Float64Array[];
  private readonly block: Float64Array;
  private readonly blockWeights: Float64Array;
  private readonly personValues: Float64Array;
  private blockPersons = 0;
  private blockPattern = -1;
  private blockNumber = -1;

  constructor(
    private readonly patterns: readonly Pattern[],
    private readonly outcomes: number,
    private readonly firstMonth: number,
    private readonly monthCount: number,
    private readonly personsPerBlock: number,
  ) {
    const maxMonths = Math.max(1, ...patterns.map((pattern) => pattern.months.length));
    this.products = new Float64Array(2 * outcomes * monthCount * monthCount);
    this.observedPairs = new Uint8Array(2 * monthCount * monthCount);
    this.withinSums = patterns.map((pattern) => new Float64Array(outcomes * pattern.months.length));
    this.weightedWithinSums = patterns.map((pattern) => new Float64Array(outcomes * pattern.months.length));
    this.block = new Float64Array(outcomes * maxMonths * personsPerBlock);
    this.blockWeights = new Float64Array(personsPerBlock);
    this.personValues = new Float64Array(outcomes * maxMonths);
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
   * Adds the person whose values are in `values` (months observed in its pattern's order). A block holds the
   * pattern's persons with person_index first_person + b * personsPerBlock onwards, whether or not each is streamed:
   * a person left out (06: its deviations are all 0) would only have added exact zeros to its block's sums, so
   * leaving it out changes no bit.
   */
  addPerson(pattern: number, personIndex: number, weight: number): void {
    const blockNumber = Math.floor((personIndex - this.patterns[pattern]!.first_person) / this.personsPerBlock);
    if (pattern !== this.blockPattern || blockNumber !== this.blockNumber) this.flush();
    this.blockPattern = pattern;
    this.blockNumber = blockNumber;
    const months = this.patterns[pattern]!.months.length;
    const slot = this.blockPersons++;
    const { block, personValues, personsPerBlock } = this;
    for (let outcome = 0; outcome < this.outcomes; outcome++) {
      const first = outcome * months;
      let sum = 0;
      for (let month = 0; month < months; month++) sum += personValues[first + month]!;
      const mean = sum / months;
      for (let month = 0; month < months; month++) {
        block[(first + month) * personsPerBlock + slot] = weight * (personValues[first + month]! - mean);
      }
    }
    this.blockWeights[slot] = weight;
  }

  /** Adds the block's inner products and sums to the totals, and empties it. */
  flush(): void {
    const persons = this.blockPersons;
    if (persons === 0) return;
    const pattern = this.patterns[this.blockPattern]!;
    const months = pattern.months.length;
    const { block, blockWeights, products, personsPerBlock, monthCount } = this;
    const within = this.withinSums[this.blockPattern]!;
    const weighted = this.weightedWithinSums[this.blockPattern]!;
    for (let outcome = 0; outcome < this.outcomes; outcome++) {
      const productBase = (outcome * 2 + pattern.treated) * monthCount * monthCount;
      for (let month = 0; month < months; month++) {
        const row = (outcome * months + month) * personsPerBlock;
        let sum = 0;
        let weightedSum = 0;
        for (let person = 0; person < persons; person++) {
          sum += block[row + person]!;
          weightedSum += blockWeights[person]! * block[row + person]!;
        }
        within[outcome * months + month]! += sum;
        weighted[outcome * months + month]! += weightedSum;
        const productRow = productBase + (pattern.months[month]! - this.firstMonth) * monthCount - this.firstMonth;
        // Two months at a time: each value of `month` is loaded once for both products.
        let other = month;
        for (; other + 1 < months; other += 2) {
          const column = (outcome * months + other) * personsPerBlock;
          const nextColumn = column + personsPerBlock;
          let product = 0;
          let nextProduct = 0;
          for (let person = 0; person < persons; person++) {
            const value = block[row + person]!;
            product += value * block[column + person]!;
            nextProduct += value * block[nextColumn + person]!;
          }
          products[productRow + pattern.months[other]!]! += product;
          products[productRow + pattern.months[other + 1]!]! += nextProduct;
        }
        if (other < months) {
          const column = (outcome * months + other) * personsPerBlock;
          let product = 0;
          for (let person = 0; person < persons; person++) product += block[row + person]! * block[column + person]!;
          products[productRow + pattern.months[other]!]! += product;
        }
      }
    }
    this.blockPersons = 0;
  }
}

/**
 * Streams the sample's person-months (did_persons must hold the sample) and
 * replaces did_deviation_products and did_deviation_sums with its sums.
 */
export async function sumDeviations(
  db: Database,
  outcomes: readonly Outcome[],
  /** The month of bit 0 of did_persons.months_mask. */
  firstMaskMonth: number,
  personsPerBlock = DEFAULT_PERSONS_PER_BLOCK,
): Promise<void> {
  const patterns = await db.query<Pattern & { pattern: number }>(
    'estimate: did patterns',
    `select pattern, any_value(treated)::integer as treated, any_value(observed_months) as months, min(person_index) as first_person
     from did_persons group by pattern order by pattern`,
  );
  patterns.forEach((pattern, index) => {
    if (pattern.pattern !== index)
      throw new Error(`event-study DiD: patterns must be numbered 0, 1, ... (found ${pattern.pattern} at ${index})`);
  });
  const allMonths = patterns.flatMap((pattern) => pattern.months);
  const firstMonth = allMonths.length ? Math.min(...allMonths) : 0;
  const monthCount = allMonths.length ? Math.max(...allMonths) - firstMonth + 1 : 1;
  const sums = new DeviationSums(patterns, outcomes.length, firstMonth, monthCount, personsPerBlock);
  const started = performance.now();
  let rows = 0;

  const result = await db.stream('sql/estimate/06_read_did_person_months.sql', readSqlFile('estimate/06_read_did_person_months.sql'), {
    outcome_pattern: columnPattern(outcomes),
    first_month: firstMaskMonth,
  });
  const names = result.columnNames();
  const column = (name: string) => {
    const index = names.indexOf(name);
    if (index < 0) throw new Error(`event-study DiD: the person-month stream has no column ${name}`);
    return index;
  };
  const [personColumn, patternColumn, weightColumn, monthColumn] = ['person_index', 'pattern', 'weight', 'event_month'].map(column);
  const outcomeColumns = outcomes.map(column);
  const values = sums.values;
  let person = -1;
  let pattern = 0;
  let weight = 0;
  let position = 0;
  const addPerson = () => {
    const expected = patterns[pattern]!.months.length;
    if (position !== expected) throw new Error(`event-study DiD: a person has ${position} months in the stream, its pattern ${expected}`);
    sums.addPerson(pattern, person, weight);
  };
  // The next chunk is fetched while this one is summed.
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) break;
    next = result.fetchChunk();
    const rowCount = chunk.rowCount; // a call into DuckDB each time it is read
    rows += rowCount;
    const persons = chunk.getColumnVector(personColumn!);
    const personPatterns = chunk.getColumnVector(patternColumn!);
    const weights = chunk.getColumnVector(weightColumn!);
    const eventMonths = chunk.getColumnVector(monthColumn!);
    const outcomeValues = outcomeColumns.map((index) => chunk.getColumnVector(index));
    for (let row = 0; row < rowCount; row++) {
      const rowPerson = persons.getItem(row) as number;
      if (rowPerson !== person) {
        if (person >= 0) addPerson();
        person = rowPerson;
        pattern = personPatterns.getItem(row) as number;
        weight = weights.getItem(row) as number;
        position = 0;
      }
      const months = patterns[pattern]!.months;
      if (eventMonths.getItem(row) !== months[position]) throw new Error('event-study DiD: a person-month outside its pattern');
      for (let outcome = 0; outcome < outcomeValues.length; outcome++) {
        values[outcome * months.length + position] = outcomeValues[outcome]!.getItem(row) as number;
      }
      position++;
    }
  }
  if (person >= 0) addPerson();
  sums.flush();
  if (isDebugEnabled()) {
    const ms = Math.round(performance.now() - started);
    logDebug(`estimate: did person-months summed: ${rows} rows, ${ms} ms`, { event: 'did_stream', rows, duration_ms: ms });
  }
  await writeDeviationSums(db, outcomes, patterns, sums, firstMonth, monthCount);
}

async function writeDeviationSums(
  db: Database,
  outcomes: readonly Outcome[],
  patterns: readonly (Pattern & { pattern: number })[],
  sums: DeviationSums,
  firstMonth: number,
  monthCount: number,
): Promise<void> {
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
    for (const pattern of patterns) {
      pattern.months.forEach((month, position) => {
        const index = outcomeIndex * pattern.months.length + position;
        deviations.outcome.push(outcome);
        deviations.treated.push(pattern.treated);
        deviations.pattern.push(pattern.pattern);
        deviations.month.push(month);
        deviations.within.push(sums.withinSums[pattern.pattern]![index]!);
        deviations.weighted.push(sums.weightedWithinSums[pattern.pattern]![index]!);
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
