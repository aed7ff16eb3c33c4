/**
 * The DiD's block products (did-deviation-sums.ts) in WebAssembly with
 * 128-bit SIMD: did-pair-sums.wat says what pairSums computes and why its
 * sums are the bits the loop over the persons in JavaScript gave. JavaScript
 * has no vectors, and its typed arrays check every index; 2,000 blocks of
 * 256 persons and 61 months took the kernel 130-165 ms and that loop
 * 709-748 ms (docs/scale-history.md). Its binary, did-pair-sums.wasm beside
 * this file (`make wasm` assembles it from the text), is compiled once per
 * process.
 */
import { readFileSync } from 'node:fs';

export interface PairSumsKernel {
  /** The kernel's memory, grown to the size asked for: the caller's blocks and the sums live in it. */
  readonly buffer: ArrayBuffer;
  /** See did-pair-sums.wat: `block` and `out` are byte offsets into `buffer`; `stride` is a multiple of 8. */
  pairSums(block: number, persons: number, stride: number, first: number, last: number, out: number): void;
}

const PAGE_BYTES = 65_536;

let compiled: WebAssembly.Module | undefined;

/** A kernel of its own (an instance with its own memory) whose memory holds at least `bytes` bytes. */
export function pairSumsKernel(bytes: number): PairSumsKernel {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./did-pair-sums.wasm', import.meta.url)));
  const { exports } = new WebAssembly.Instance(compiled);
  const memory = exports.memory as WebAssembly.Memory;
  const missingPages = Math.ceil(bytes / PAGE_BYTES) - memory.buffer.byteLength / PAGE_BYTES;
  if (missingPages > 0) memory.grow(missingPages);
  return { buffer: memory.buffer, pairSums: exports.pairSums as PairSumsKernel['pairSums'] };
}
