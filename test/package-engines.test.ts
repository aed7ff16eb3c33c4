/**
 * The Node.js versions package.json promises (engines.node) are ones every
 * locked package supports, and the README names that same range: a
 * dependency that drops a Node line the project still promises fails here,
 * not as an EBADENGINE warning a user's install scrolls past.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const promised: string = JSON.parse(read('package.json')).engines.node;
const locked: Record<string, { engines?: { node?: string } }> = JSON.parse(read('package-lock.json')).packages;

/** The locked packages whose Node range does not hold every version `range` admits. */
function packagesNarrowerThan(range: string, packages: typeof locked): string[] {
  return Object.entries(packages)
    .filter(([path, meta]) => path !== '' && meta.engines?.node !== undefined && !semver.subset(range, meta.engines.node))
    .map(([path, meta]) => `${path.replace(/^.*node_modules\//, '')} (${meta.engines?.node})`);
}

describe('engines.node', () => {
  test('every locked package supports every Node version package.json promises', () => {
    expect(semver.validRange(promised)).not.toBeNull();
    expect(packagesNarrowerThan(promised, locked)).toEqual([]);
  });

  test('a package that needs a newer Node than promised is named', () => {
    const packages = {
      '': {},
      'node_modules/a': { engines: { node: '>=18' } },
      'node_modules/b/node_modules/c': { engines: { node: '>=22' } },
    };
    expect(packagesNarrowerThan('>=20.12', packages)).toEqual(['c (>=22)']);
  });

  test('the README names the promised range', () => {
    expect(read('README.md')).toContain(`Node.js (${promised})`);
  });
});
