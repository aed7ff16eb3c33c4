/**
 * The person-level sums of the event-study DiD, for every matched sample at
 * once, in one streamed pass over the panel's observed months
 * (sql/estimate/06_read_did_panel_months.sql) beside a stream of whose
 * months they are (06_read_did_memberships.sql).
 *
 * With a_im = w_i (y_im - mean_i y), person i's weighted within-person
 * deviation in month m (the mean over the months it is in the sample's
 * estimate), each sample's DiD needs, per outcome:
 * - per arm and pair of months (m <= k) observed together, sum_i a_im a_ik
 *   (the coefficient-free part of the cluster meat: `products`, which
 *   did-score-products.ts reads here);
 * - per pattern and month, sum_i a_im (X'Wy) and sum_i w_i a_im (the part of
 *   the meat that depends on the coefficients; did_deviation_sums for SQL's
 *   X'Wy, `weightedWithinSums` for the meat).
 *
 * A person's rows arrive together, persons in person_id order: the panel
 * stage stores the panel so, and a scan of one table keeps its stored order,
 * so the panel is read as stored, unsorted (a panel stored otherwise is
 * sorted: 06_check_did_panel_order.sql). The memberships stream says, per
 * person, where its rows are among the panel's (did_observed_months.
 * rows_before) and which samples it is in, with its pattern, person_index
 * and weight; it is read a chunk ahead on a sibling connection, so only one
 * person and, per sample, one block of persons
 * per arm are held: memory does not grow with the samples' persons. A block
 * is `personsPerBlock` consecutive person_index values of one arm, laid out
 * month by month over the sample's months (0 where a person is not in the
 * estimate), so each pair of months is one inner product over the block;
 * block results are added in stream order. The stream's order is total, so
 * the sums are the same bits whatever the thread count or memory limit, and
 * a sample's sums do not depend on which other samples share the stream.
 * Persons whose deviations are all 0 have no memberships (04), their rows
 * are skipped, and their absence changes no bit either.
 * Reading the panel once for all samples is the point: streaming each
 * sample's person-months apart read and sorted about five times as many
 * rows at 1 M persons (12 samples), and DuckDB's fetch of a chunk, not the
 * arithmetic here, was the cost. Reading it as stored, not sorted with the
 * memberships joined to it, took the DiD of 12 samples at 1 M persons from
 * 66.5 s to 45.5 s (docs/scale-history.md).
 *
 * This is the one place the DiD loops outside SQL: its cost is
 * persons x (months observed)^2 x outcomes multiply-adds, which SQL could
 * only reach through joins of lists that copy every list once per pair.
 * Those multiply-adds run in WebAssembly (did-pair-sums.wat), on blocks laid
 * out person by person, a row of months each; the deviations are made here.
 */
import { type DuckDBResult, DuckDBTypeId } from '@duckdb/node-api';
import type { Outcome } from '../config/outcomes.js';
import { chunkColumn, chunkColumnBuffer, typedColumn } from '../db/chunk-columns.js';
import { columnPattern, type Database, readSqlFile } from '../db/database.js';
import { fetchChunk } from '../db/fetch-chunk.js';
import { isDebugEnabled, logDebug } from '../log.js';
import { type PairSumsKernel, pairSumsKernel } from './did-pair-sums.js';

/** Persons per block: the block's deviations (outcomes x months x persons doubles, 1 MiB at 8 x 64 x 256) stay in cache. */
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
  /** Per outcome and arm, sum_i a_im a_ik at pairIndex(arm, m, k) for m <= k (the other half stays 0). */
  readonly products: Float64Array;
  /** Whether any person of the arm is observed in both months of a pair. */
  readonly observedPairs: Uint8Array;
  readonly withinSums: Float64Array[];
  readonly weightedWithinSums: Float64Array[];
  readonly firstMonth: number;
  readonly monthCount: number;
  readonly outcomes: number;
  /** Multiplies the blocks' columns (did-pair-sums.wat); its memory holds the blocks and the sums it writes. */
  private readonly kernel: PairSumsKernel;
  /** A person's row in a block: the sample's months, rounded up to a multiple of 8 for the kernel. */
  private readonly stride: number;
  /**
   * Per arm and outcome (blockOffset), the block's deviations: person (slot) by person, a row of `stride` months
   * each, in the kernel's memory.
   */
  private readonly blocks: Float64Array;
  /** The kernel's sums of a block's pairs of months, at month * stride + other month; and their byte offset. */
  private readonly pairSums: Float64Array;
  private readonly pairSumsOffset: number;
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
    this.stride = Math.ceil(monthCount / 8) * 8;
    const blockValues = 2 * outcomes * personsPerBlock * this.stride;
    this.pairSumsOffset = blockValues * Float64Array.BYTES_PER_ELEMENT;
    this.kernel = pairSumsKernel(this.pairSumsOffset + this.stride * this.stride * Float64Array.BYTES_PER_ELEMENT);
    this.blocks = new Float64Array(this.kernel.buffer, 0, blockValues);
    this.pairSums = new Float64Array(this.kernel.buffer, this.pairSumsOffset, this.stride * this.stride);
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

  /** Where the block of `arm` and `outcome` starts in `blocks`. */
  private blockOffset(arm: number, outcome: number): number {
    return (arm * this.outcomes + outcome) * this.personsPerBlock * this.stride;
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
    const blockMonths = this.blockMonths[arm]!;
    const blockPersons = this.blockPersons[arm]!;
    const { personValues, blocks, stride, firstMonth } = this;
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
      const row = this.blockOffset(arm, outcome) + slot * stride - firstMonth;
      let varies = false;
      for (let position = 0; position < months.length; position++) {
        const deviation = weight * (personValues[first + position]! - mean);
        varies ||= deviation !== 0;
        blocks[row + months[position]!] = deviation;
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
    const blockMonths = this.blockMonths[arm]!;
    const blockPersons = this.blockPersons[arm]!;
    const { products, monthCount, stride, pairSums, kernel } = this;
    const months: number[] = [];
    for (let month = 0; month < monthCount; month++) if (blockMonths[month]) months.push(month);
    for (let outcome = 0; outcome < this.outcomes; outcome++) {
      const persons = blockPersons[outcome]!;
      if (persons === 0) continue;
      const rows = this.blockOffset(arm, outcome);
      // every pair of the block's months, each its own sum over the block's persons in person order (the same bits
      // as the loop over the persons in JavaScript), added to the totals here in the same order as before
      kernel.pairSums(rows * Float64Array.BYTES_PER_ELEMENT, persons, stride, months[0]! & ~1, months.at(-1)!, this.pairSumsOffset);
      const productBase = (outcome * 2 + arm) * monthCount * monthCount;
      for (let index = 0; index < months.length; index++) {
        const productRow = productBase + months[index]! * monthCount;
        const sumRow = months[index]! * stride;
        for (let other = index; other < months.length; other++)
          products[productRow + months[other]!]! += pairSums[sumRow + months[other]!]!;
      }
      // A person's months outside its pattern must read 0 in the next block.
      this.blocks.fill(0, rows, rows + persons * stride);
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
   * JavaScript: started once the panel's first chunk arrives (after DuckDB
   * has sorted it, for a panel not stored in person order), so that the two
   * never need DuckDB's memory at once (the sort beside the differences'
   * sums ran out of 2 GiB at 2 M persons), and awaited before the stream's
   * sums are returned.
   */
  besideStream?: () => Promise<void>;
}

/**
 * Whether panel_person_month is stored in person order (06_check_did_panel_order.sql), so that the DiD reads its
 * observed months as stored rather than sorted.
 */
export async function panelStoredInPersonOrder(db: Database): Promise<boolean> {
  const [row] = await db.queryFile<{ in_order: boolean }>('estimate/06_check_did_panel_order.sql');
  return row?.in_order === true;
}

/**
 * Streams every sample's persons and person-months and returns each
 * sample's sums, for writeDeviationSums. did_sample_persons must hold the
 * samples, numbered 0, 1, ... in `samples`' order, committed: the
 * memberships (06_read_did_memberships.sql) are read on a sibling connection
 * beside the panel's months (06_read_did_panel_months.sql, or its _sorted
 * twin for a panel not stored in person order), each person's found among
 * the panel's rows by its position.
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
  const memberships = new Memberships();
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
  const panelFile = (await panelStoredInPersonOrder(db))
    ? 'estimate/06_read_did_panel_months.sql'
    : 'estimate/06_read_did_panel_months_sorted.sql';
  const sibling = await db.sibling();
  try {
    await sibling.stream(
      'sql/estimate/06_read_did_memberships.sql',
      readSqlFile('estimate/06_read_did_memberships.sql'),
      {},
      async (membershipResult) => {
        const reader = new MembershipReader(membershipResult);
        await db.stream(`sql/${panelFile}`, readSqlFile(panelFile), { outcome_pattern: columnPattern(streamOutcomes) }, async (result) => {
          const monthColumn = typedColumn(result, 'event_month', DuckDBTypeId.INTEGER);
          const outcomeColumns = streamOutcomes.map((outcome) => typedColumn(result, outcome, DuckDBTypeId.DOUBLE));
          // each chunk's columns are copied into these, read before the next chunk's replace them
          const eventMonths = chunkColumnBuffer(DuckDBTypeId.INTEGER);
          const outcomeValues = outcomeColumns.map(() => chunkColumnBuffer(DuckDBTypeId.DOUBLE));
          // The panel rows of the next person streamed are rows first .. last (Infinity: no one is left).
          let first = Number.POSITIVE_INFINITY;
          let last = Number.POSITIVE_INFINITY;
          const nextPerson = () => {
            const person = reader.peek();
            first = person?.firstRow ?? Number.POSITIVE_INFINITY;
            last = person ? person.firstRow + person.rowCount - 1 : Number.POSITIVE_INFINITY;
          };
          let position = 0;
          // The next chunk is fetched while this one is summed.
          let next = fetchChunk(result);
          await reader.bufferThrough(0);
          nextPerson();
          for (;;) {
            const chunk = await next;
            startBeside();
            if (!chunk || chunk.rowCount === 0) break;
            const rowCount = chunk.rowCount; // a call into DuckDB each time it is read
            rows += rowCount;
            chunkColumn(chunk, monthColumn, DuckDBTypeId.INTEGER, eventMonths);
            for (const [outcome, index] of outcomeColumns.entries()) {
              chunkColumn(chunk, index, DuckDBTypeId.DOUBLE, outcomeValues[outcome]!);
            }
            next = fetchChunk(result);
            // every person whose rows end in this chunk has all its memberships at hand
            await reader.bufferThrough(position + rowCount);
            for (let row = 0; row < rowCount; row++, position++) {
              // a person who contributes to no sample: its rows would add 0 to every sum
              if (position < first) continue;
              const month = eventMonths[row]! - firstMonth;
              if (!(month >= 0 && month < panelMonthCount)) throw new Error('event-study DiD: a person-month outside the panel months');
              monthSeen[month] = personNumber;
              for (let outcome = 0; outcome < outcomeValues.length; outcome++) {
                monthValues[outcome * panelMonthCount + month] = outcomeValues[outcome]![row]!;
              }
              if (position === last) {
                reader.take(memberships);
                addPerson();
                nextPerson();
              }
            }
          }
          if (first !== Number.POSITIVE_INFINITY) throw new Error("event-study DiD: the panel stream ended before a person's months");
        });
      },
    );
  } finally {
    sibling.close();
  }
  for (const sampleSums of sums) sampleSums.finish();
  await startBeside();
  if (isDebugEnabled()) {
    const ms = Math.round(performance.now() - started);
    logDebug(`estimate: did person-months summed: ${rows} rows, ${samples.length} samples, ${panelFile}, ${ms} ms`, {
      event: 'did_stream',
      rows,
      samples: samples.length,
      sql_file: `sql/${panelFile}`,
      duration_ms: ms,
    });
  }
  return sums;
}

/** One person's rows of the memberships stream: the samples it is in, with its pattern, person_index and weight in each. */
class Memberships {
  readonly sample: number[] = [];
  readonly pattern: number[] = [];
  readonly personIndex: number[] = [];
  readonly weight: number[] = [];
}

/**
 * The memberships stream (06_read_did_memberships.sql), buffered ahead of
 * the panel's rows a chunk at a time, so the loop over the panel's rows
 * never waits for it: only the persons of the panel's chunk at hand and the
 * next one are held.
 */
class MembershipReader {
  private readonly buffered = { firstRow: [] as number[], rowCount: [] as number[], persons: new Memberships() };
  /** The first buffered row not yet taken. */
  private next = 0;
  private ended = false;
  /** Per stream column: its index, and the buffered list its values go to. */
  private readonly integerColumns: [number, number[]][];
  private readonly doubleColumns: [number, number[]][];
  /** Each chunk's column, copied here before its values are added to the lists. */
  private readonly integers = chunkColumnBuffer(DuckDBTypeId.INTEGER);
  private readonly doubles = chunkColumnBuffer(DuckDBTypeId.DOUBLE);

  constructor(private readonly result: DuckDBResult) {
    const { firstRow, rowCount, persons } = this.buffered;
    const integer = (name: string, list: number[]): [number, number[]] => [typedColumn(result, name, DuckDBTypeId.INTEGER), list];
    const double = (name: string, list: number[]): [number, number[]] => [typedColumn(result, name, DuckDBTypeId.DOUBLE), list];
    this.integerColumns = [
      integer('row_count', rowCount),
      integer('sample_no', persons.sample),
      integer('pattern', persons.pattern),
      integer('person_index', persons.personIndex),
    ];
    this.doubleColumns = [double('first_row', firstRow), double('weight', persons.weight)];
  }

  /** Buffers until a person whose rows start at `row` or later is buffered (so every one before it is whole), or the stream ends. */
  async bufferThrough(row: number): Promise<void> {
    const { firstRow } = this.buffered;
    while (!this.ended && !(firstRow.length > this.next && firstRow.at(-1)! >= row)) {
      const chunk = await fetchChunk(this.result);
      if (!chunk || chunk.rowCount === 0) {
        this.ended = true;
        break;
      }
      this.dropTaken();
      const rows = chunk.rowCount;
      for (const [column, list] of this.integerColumns) {
        const values = chunkColumn(chunk, column, DuckDBTypeId.INTEGER, this.integers);
        for (let index = 0; index < rows; index++) list.push(values[index]!);
      }
      for (const [column, list] of this.doubleColumns) {
        const values = chunkColumn(chunk, column, DuckDBTypeId.DOUBLE, this.doubles);
        for (let index = 0; index < rows; index++) list.push(values[index]!);
      }
    }
  }

  /** Where the next person's rows are in the panel's stream, or undefined when no one is left. */
  peek(): { firstRow: number; rowCount: number } | undefined {
    if (this.next >= this.buffered.firstRow.length) {
      if (!this.ended) throw new Error('event-study DiD: the memberships stream was not read ahead of the panel');
      return undefined;
    }
    return { firstRow: this.buffered.firstRow[this.next]!, rowCount: this.buffered.rowCount[this.next]! };
  }

  /** Replaces `into` with the next person's memberships, and moves past them. */
  take(into: Memberships): void {
    const { firstRow, persons } = this.buffered;
    const personFirstRow = firstRow[this.next];
    for (const list of Object.values(into) as number[][]) list.length = 0;
    while (this.next < firstRow.length && firstRow[this.next] === personFirstRow) {
      into.sample.push(persons.sample[this.next]!);
      into.pattern.push(persons.pattern[this.next]!);
      into.personIndex.push(persons.personIndex[this.next]!);
      into.weight.push(persons.weight[this.next]!);
      this.next++;
    }
    if (this.next === firstRow.length && !this.ended) throw new Error("event-study DiD: a person's memberships were not read whole");
  }

  private dropTaken(): void {
    const { firstRow, rowCount, persons } = this.buffered;
    for (const list of [firstRow, rowCount, ...(Object.values(persons) as number[][])]) list.splice(0, this.next);
    this.next = 0;
  }
}

/** Replaces did_deviation_sums with one sample's sums of deviations (its products stay here: did-score-products.ts). */
export async function writeDeviationSums(db: Database, sums: DeviationSums): Promise<void> {
  const { outcomes, patterns } = sums.sample;
  await db.runFile('estimate/07_create_did_deviation_sums.sql');
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
