import { describe, expect, test } from 'vitest';
import { parseSize, resolveResources, resourcesSchema } from '../../src/config/resources.js';

const GIB = 1024 ** 3;
const machine = { memoryBytes: 24 * GIB, cpus: 2 };
const defaults = resourcesSchema.parse(undefined);

describe('parseSize', () => {
  test.each([
    ['4GB', 4e9],
    ['4GiB', 4 * GIB],
    ['512MiB', 512 * 1024 ** 2],
    ['1.5 GB', 1.5e9],
    ['100B', 100],
  ])('%s is %d bytes', (size, bytes) => {
    expect(parseSize(size)).toBe(bytes);
  });

  test('refuses what is not a size', () => {
    expect(() => parseSize('4 gigs')).toThrow('not a size: 4 gigs');
  });
});

describe('resolveResources', () => {
  test('defaults: half the machine for the process, every CPU, spilling into <output>/.tmp', () => {
    expect(resolveResources(defaults, '/data/out', { machine })).toEqual({
      memoryLimitBytes: 12 * GIB,
      // (12 GiB - 256 MiB) x 0.6
      duckdbMemoryLimit: '7219MiB',
      threads: 2,
      tempDirectory: '/data/out/.tmp',
      memoryLimitFrom: 'machine',
    });
  });

  test('a cap leaves Node its reserve and gives DuckDB 60% of the rest, whatever the machine has', () => {
    const resources = resolveResources({ ...defaults, memory_limit: '4GB' }, '/out', { machine: { memoryBytes: 256 * GIB, cpus: 64 } });
    expect(resources.memoryLimitBytes).toBe(4e9);
    expect(resources.duckdbMemoryLimit).toBe(`${Math.floor(((4e9 - 256 * 1024 ** 2) * 0.6) / 1024 ** 2)}MiB`);
    expect(resources.memoryLimitFrom).toBe('config');
  });

  test('a small machine still gets the smallest cap a run works under', () => {
    expect(resolveResources(defaults, '/out', { machine: { memoryBytes: GIB / 2, cpus: 1 } }).memoryLimitBytes).toBe(512 * 1024 ** 2);
  });

  test('--threads wins over the config, which wins over the machine', () => {
    expect(resolveResources({ ...defaults, threads: 3 }, '/out', { machine }).threads).toBe(3);
    expect(resolveResources({ ...defaults, threads: 3 }, '/out', { machine, threads: 1 }).threads).toBe(1);
  });

  test('a configured temp directory is taken as given, relative to the working directory', () => {
    expect(resolveResources({ ...defaults, temp_directory: '/scratch/ipslink' }, '/out', { machine }).tempDirectory).toBe(
      '/scratch/ipslink',
    );
    expect(resolveResources({ ...defaults, temp_directory: 'spill' }, '/out', { machine }).tempDirectory).toBe(`${process.cwd()}/spill`);
  });
});
