/**
 * What a run may use of the machine (study config `resources:`): the memory
 * of the whole process, DuckDB's threads and where DuckDB spills. None of
 * them changes a byte of output.
 *
 * `memory_limit` caps the process, Node included. DuckDB gets what is left
 * after a fixed reserve for Node (its heap, the Arrow batches publish
 * streams, DuckDB's own code), and then only 60% of that: DuckDB's
 * memory_limit bounds its buffer pool, and its allocator keeps some freed
 * memory besides. Beyond its share DuckDB spills to `temp_directory`.
 * Defaults come from the machine: half of the memory this process may use
 * (the cgroup's limit where lower than the RAM), and every CPU it may use.
 */
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SPILL_DIRECTORY } from '../run/output-directory.js';

const MIB = 1024 * 1024;
/** Node's part of the cap, before DuckDB's share is taken. */
const NODE_RESERVE_BYTES = 256 * MIB;
const DUCKDB_SHARE = 0.6;
/** The smallest cap a run works under (DuckDB then has 153 MiB). */
export const MIN_MEMORY_LIMIT_BYTES = 512 * MIB;

const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: MIB,
  GiB: 1024 * MIB,
  TiB: 1024 * 1024 * MIB,
};
const SIZE = /^([0-9]+(?:\.[0-9]+)?) ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** Bytes in a size as DuckDB writes it: 4GB is 4 * 10^9, 4GiB 4 * 2^30. */
export function parseSize(size: string): number {
  const match = SIZE.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  return Math.floor(Number(match[1]) * UNIT_BYTES[match[2]!]!);
}

export const resourcesSchema = z
  .strictObject({
    /** The whole process's memory (Node and DuckDB), e.g. 4GB; default: half of what the machine gives this process. */
    memory_limit: z
      .string()
      .regex(SIZE, 'a size such as 4GB or 512MiB')
      // (zod runs the refinement after a failed regex too)
      .refine((size) => !SIZE.test(size) || parseSize(size) >= MIN_MEMORY_LIMIT_BYTES, 'at least 512MiB')
      .optional(),
    /** DuckDB's worker threads; default: the CPUs this process may use (`--threads` overrides it). */
    threads: z.int().min(1).max(1024).optional(),
    /** Where DuckDB spills beyond its memory (person-level data: kept owner-only); default `<output>/.tmp`. */
    temp_directory: z.string().min(1).optional(),
  })
  .default({});

export type ResourcesConfig = z.infer<typeof resourcesSchema>;

/** What this process may use, as the defaults read it. */
export interface Machine {
  memoryBytes: number;
  cpus: number;
}

export function thisMachine(): Machine {
  // process.constrainedMemory(): the cgroup's limit, 0 or a huge number when there is none.
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  return { memoryBytes: constrained > 0 && constrained < total ? constrained : total, cpus: availableParallelism() };
}

export interface Resources {
  memoryLimitBytes: number;
  /** DuckDB's memory_limit, in whole MiB. */
  duckdbMemoryLimit: string;
  threads: number;
  tempDirectory: string;
  /** Where the memory limit came from. */
  memoryLimitFrom: 'config' | 'machine';
}

/** The resources of a run writing to `output`; `threads` (the CLI's --threads) wins over the config. */
export function resolveResources(
  config: ResourcesConfig,
  output: string,
  options: { threads?: number; machine?: Machine } = {},
): Resources {
  const machine = options.machine ?? thisMachine();
  const memoryLimitBytes = config.memory_limit
    ? parseSize(config.memory_limit)
    : Math.max(MIN_MEMORY_LIMIT_BYTES, Math.floor(machine.memoryBytes / 2));
  const duckdbMib = Math.floor(((memoryLimitBytes - NODE_RESERVE_BYTES) * DUCKDB_SHARE) / MIB);
  return {
    memoryLimitBytes,
    duckdbMemoryLimit: `${duckdbMib}MiB`,
    threads: options.threads ?? config.threads ?? machine.cpus,
    tempDirectory: config.temp_directory ? resolve(config.temp_directory) : join(output, SPILL_DIRECTORY),
    memoryLimitFrom: config.memory_limit ? 'config' : 'machine',
  };
}
