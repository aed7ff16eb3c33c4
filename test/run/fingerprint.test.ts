/** The fingerprint that makes a nightly run with nothing new a no-op: what changes it, and what does not. */
import { cpSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fingerprintChanges, runFingerprint, sameFingerprint } from '../../src/run/fingerprint.js';
import { makeTempDir, writeDelivery } from '../support/delivery.js';

const PERSONS = { name: 'persons.csv', extract: 'persons', csv: 'person_id,birth_year,sex,region\nP0000000001,1970,F,AMR01\n' };

function landingWithOneDelivery(): string {
  const landing = makeTempDir('ipslink-fingerprint-');
  writeDelivery(landing, 'd1', [PERSONS]);
  return landing;
}

describe('runFingerprint', () => {
  test('is the same for the same deliveries, config and code', () => {
    const landing = landingWithOneDelivery();
    const first = runFingerprint(landing, 'all', 'c0ffee');
    expect(sameFingerprint(runFingerprint(landing, 'all', 'c0ffee'), first)).toBe(true);
    expect(first.deliveries).toEqual(['d1']);
    expect(first.code_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.code_version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('changes with a new delivery, and says which', () => {
    const landing = landingWithOneDelivery();
    const before = runFingerprint(landing, 'all', 'c0ffee');
    writeDelivery(landing, 'd2', [PERSONS]);
    const after = runFingerprint(landing, 'all', 'c0ffee');
    expect(sameFingerprint(after, before)).toBe(false);
    expect(fingerprintChanges(after, before)).toEqual(['new deliveries d2']);
  });

  test('changes when a delivered file is replaced or touched, without reading it', () => {
    const landing = landingWithOneDelivery();
    const before = runFingerprint(landing, 'all', 'c0ffee');
    utimesSync(join(landing, 'd1', 'persons.csv'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const after = runFingerprint(landing, 'all', 'c0ffee');
    expect(fingerprintChanges(after, before)).toEqual(['deliveries changed']);
  });

  test('changes with the config, and not with where the landing directory is', () => {
    const landing = landingWithOneDelivery();
    const before = runFingerprint(landing, 'all', 'c0ffee');
    expect(fingerprintChanges(runFingerprint(landing, 'all', 'decade'), before)).toEqual(['config changed']);
    const moved = join(makeTempDir('ipslink-fingerprint-'), 'landing');
    cpSync(landing, moved, { recursive: true, preserveTimestamps: true });
    expect(sameFingerprint(runFingerprint(moved, 'all', 'c0ffee'), before)).toBe(true);
  });

  test('covers only the deliveries the config selects', () => {
    const landing = landingWithOneDelivery();
    const before = runFingerprint(landing, ['d1'], 'c0ffee');
    writeDelivery(landing, 'd2', [PERSONS]);
    expect(sameFingerprint(runFingerprint(landing, ['d1'], 'c0ffee'), before)).toBe(true);
    expect(fingerprintChanges(runFingerprint(landing, 'all', 'c0ffee'), undefined)).toEqual(['no earlier run']);
  });
});
