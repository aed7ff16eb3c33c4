// The DiD's block products in WebAssembly (src/estimate/did-pair-sums.wat) against a loop over the persons in
// JavaScript, bit for bit; and the committed binary against its text.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { pairSumsKernel } from '../../src/estimate/did-pair-sums.js';
import { assembleWat } from '../../tools/assemble-wasm.js';

const TEXT = new URL('../../src/estimate/did-pair-sums.wat', import.meta.url).pathname;
const BINARY = new URL('../../src/estimate/did-pair-sums.wasm', import.meta.url).pathname;

/** A kernel with one block of `persons` rows of `stride` months at byte 0 and the sums after it. */
function kernelWith(rows: number[][], stride: number) {
  const blockValues = rows.length * stride;
  const sumsOffset = blockValues * 8;
  const kernel = pairSumsKernel(sumsOffset + stride * stride * 8 + 64);
  const block = new Float64Array(kernel.buffer, 0, blockValues);
  for (const [person, row] of rows.entries()) block.set(row, person * stride);
  const sums = new Float64Array(kernel.buffer, sumsOffset, stride * stride);
  return { kernel, block, sums, sumsOffset };
}

/** sum over the persons, in order, of row[i] * row[j]: the loop the kernel replaces. */
function inOrder(rows: number[][], i: number, j: number): number {
  let sum = 0;
  for (const row of rows) sum += row[i]! * row[j]!;
  return sum;
}

/** A deterministic spread of values with zeros, signs and magnitudes whose sums depend on the order of addition. */
function rowsOf(persons: number, stride: number, seed: number): number[][] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: persons }, () =>
    Array.from({ length: stride }, () => (next() < 0.3 ? 0 : (next() - 0.5) * 10 ** Math.floor(next() * 8))),
  );
}

describe('pairSums', () => {
  test('the committed binary is the assembly of the text (`make wasm` after editing the .wat)', async () => {
    expect(Buffer.from(await assembleWat(TEXT)).equals(readFileSync(BINARY))).toBe(true);
  });

  test.each([
    { label: '1 person, months 0-7 of 8', persons: 1, stride: 8, first: 0, last: 7 },
    { label: '7 persons, months 2-5 of 8', persons: 7, stride: 8, first: 2, last: 5 },
    { label: '256 persons, months 0-60 of 64', persons: 256, stride: 64, first: 0, last: 60 },
    { label: '33 persons, months 10-63 of 64', persons: 33, stride: 64, first: 10, last: 63 },
    { label: '5 persons, month 8 of 16', persons: 5, stride: 16, first: 8, last: 8 },
  ])('gives the in-order sum of every pair it promises, bit for bit ($label)', (shape) => {
    const { persons, stride, first, last } = shape;
    const rows = rowsOf(persons, stride, persons * 31 + first);
    const { kernel, sums, sumsOffset } = kernelWith(rows, stride);
    kernel.pairSums(0, persons, stride, first, last, sumsOffset);
    let checked = 0;
    for (let i = first; i <= last; i++) {
      for (let j = i; j <= last; j++) {
        // Object.is tells every double apart, +0 from -0 too
        expect(Object.is(sums[i * stride + j], inOrder(rows, i, j)), `pair ${i}, ${j}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(((last - first + 1) * (last - first + 2)) / 2);
  });

  test('adds the persons in order, not in pairs of lanes: 1e16 + 1 - 1e16 is 0', () => {
    const rows = [
      [1e16, 1, 0, 0, 0, 0, 0, 1],
      [1, 1, 0, 0, 0, 0, 0, 1],
      [-1e16, 1, 0, 0, 0, 0, 0, 1],
    ];
    const { kernel, sums, sumsOffset } = kernelWith(rows, 8);
    kernel.pairSums(0, rows.length, 8, 0, 7, sumsOffset);
    // (1e16 + 1) - 1e16 in order; the persons added two by two would give (1e16 - 1e16) + 1 = 1
    expect(sums[0 * 8 + 1]).toBe(0);
    expect(sums[0 * 8 + 7]).toBe(0);
    expect(sums[1 * 8 + 7]).toBe(3);
  });

  test('reads only the persons it is given and writes only the sums, not the block', () => {
    const rows = rowsOf(4, 8, 7);
    const { kernel, block, sums, sumsOffset } = kernelWith(rows, 8);
    const before = Float64Array.from(block);
    const tail = new Float64Array(kernel.buffer, sumsOffset + 64 * 8, 8);
    tail.fill(42);
    // two persons of four: the last two rows must not count
    kernel.pairSums(0, 2, 8, 0, 7, sumsOffset);
    expect(sums[3 * 8 + 5]).toBe(inOrder(rows.slice(0, 2), 3, 5));
    expect(block).toEqual(before);
    expect([...tail]).toEqual(Array(8).fill(42));
  });
});
