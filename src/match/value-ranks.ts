/**
 * Ranks of values, for sorting units by them without a comparator call per
 * pair: a counting sort by rank keeps unit order among equal values, as a
 * sort by (value, unit) does (balance-statistics.ts, exact-strata.ts).
 */

/**
 * Each value's rank: equal values share one, and ranks ascend with the values (-0 and 0 are one value); every rank
 * is below `count`, but not every rank below it need be taken. The value itself, offset, when the values are
 * integers of a range under 4 n; else its position among the sorted distinct values (a binary search). Null when a
 * value is NaN, which has no place in the order: the callers sort those by a comparator.
 */
export function valueRanks(values: Float64Array | Uint8Array): { rank: Int32Array; count: number } | null {
  for (let unit = 0; unit < values.length; unit++) if (Number.isNaN(values[unit])) return null;
  const rank = new Int32Array(values.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let integers = true;
  for (let unit = 0; unit < values.length; unit++) {
    const value = values[unit]!;
    if (value < min) min = value;
    if (value > max) max = value;
    integers &&= Number.isInteger(value);
  }
  if (integers && max - min < 4 * values.length) {
    for (let unit = 0; unit < values.length; unit++) rank[unit] = values[unit]! - min;
    return { rank, count: values.length ? max - min + 1 : 0 };
  }
  const distinct = Float64Array.from(values).sort();
  let count = 0;
  for (let position = 0; position < distinct.length; position++) {
    if (count === 0 || distinct[position] !== distinct[count - 1]) distinct[count++] = distinct[position]!;
  }
  for (let unit = 0; unit < values.length; unit++) {
    const value = values[unit]!;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (distinct[middle]! < value) low = middle + 1;
      else high = middle;
    }
    rank[unit] = low;
  }
  return { rank, count };
}
