import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { configWarnings, loadStudyConfig } from '../../src/config/study-config.js';
import { makeTempDir } from '../support/delivery.js';

function writeConfig(text: string): string {
  const file = join(makeTempDir(), 'study.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadStudyConfig', () => {
  test.each(['config/demo.yaml', 'config/uwv-register-study.yaml'])('%s is a valid study', (file) => {
    expect(loadStudyConfig(file).config.arms).toMatchObject({ treated: 'IPS', control: 'TVR' });
  });

  test('an unknown key is an error naming it', () => {
    const text = `${readDemo()}\nmatchin: {}\n`;
    expect(() => loadStudyConfig(writeConfig(text))).toThrow(/invalid study config: .*matchin/);
  });

  test('an unknown qualifying benefit names the path', () => {
    const text = readDemo().replace('qualifying_benefits: [ZW,', 'qualifying_benefits: [ZZ,');
    expect(() => loadStudyConfig(writeConfig(text))).toThrow(/population\.qualifying_benefits\.0/);
  });

  test('malformed YAML is one clear error', () => {
    expect(() => loadStudyConfig(writeConfig('study: [unclosed\n'))).toThrow(/not valid YAML/);
  });

  test('a missing file says so', () => {
    expect(() => loadStudyConfig('config/nope.yaml')).toThrow('config/nope.yaml: study config not found');
  });

  test.each([
    ['[target_group, region]', /subgroups\.1/],
    ['[funder, funder]', /subgroups: each subgroup once/],
  ])('subgroups %s are refused', (list, message) => {
    const text = readDemo().replace('subgroups: [target_group, funder, provider]', `subgroups: ${list}`);
    expect(() => loadStudyConfig(writeConfig(text))).toThrow(message);
  });

  test('the register-grade rules have defaults: episodes join over 31 days, same-day starts are left out, AOW age censors', () => {
    const { population, arms, follow_up: followUp } = loadStudyConfig('config/demo.yaml').config;
    expect([population.episode_gap_days, arms.same_day, arms.censor_control_at_treatment, followUp.state_pension_age]).toEqual([
      31,
      'exclude',
      false,
      'censor',
    ]);
  });

  test.each([
    ['same_day: exclude', 'same_day: sometimes', /arms.same_day/],
    ['episode_gap_days: 31', 'episode_gap_days: -1', /population.episode_gap_days/],
  ])('%s replaced by %s is refused', (setting, replacement, message) => {
    expect(readDemo()).toContain(setting);
    expect(() => loadStudyConfig(writeConfig(readDemo().replace(setting, replacement)))).toThrow(message);
  });

  test('a target-group filter runs, with a warning that it selects the control arm too', () => {
    const text = readDemo().replace('  qualifying_benefits:', '  target_groups: [SMI]\n  qualifying_benefits:');
    expect(configWarnings(loadStudyConfig(writeConfig(text)).config)).toEqual([
      expect.stringMatching(/^population.target_groups filters both arms/),
    ]);
    expect(configWarnings(loadStudyConfig('config/uwv-register-study.yaml').config)).toEqual([]);
  });

  test('report months beyond the follow-up are refused', () => {
    const text = readDemo().replace('report_months: [6, 12, 18, 24, 30, 36]', 'report_months: [6, 48]');
    expect(() => loadStudyConfig(writeConfig(text))).toThrow(/report_months: 48 is beyond months_after/);
  });

  test('the DiD reference month is -1 unless set, and must be a pre-index month of the follow-up', () => {
    expect(loadStudyConfig('config/demo.yaml').config.estimators.did.reference_month).toBe(-1);
    const withReference = (month: number) => `${readDemo()}\nestimators:\n  did: { reference_month: ${month} }\n`;
    expect(loadStudyConfig(writeConfig(withReference(-12))).config.estimators.did.reference_month).toBe(-12);
    expect(() => loadStudyConfig(writeConfig(withReference(-25)))).toThrow(
      /estimators.did.reference_month: -25 is before the follow-up's first month \(-24\)/,
    );
    expect(() => loadStudyConfig(writeConfig(withReference(0)))).toThrow(/estimators.did.reference_month/);
  });

  test('costs: the price year must lie in the price index; discounting defaults to the Dutch guideline', () => {
    const withoutRates = readDemo().replace(/\n {2}discount_rates: .*\n/, '\n');
    expect(loadStudyConfig(writeConfig(withoutRates)).config.costs.discount_rates).toEqual({ costs: 0.04, effects: 0.015 });
    expect(() => loadStudyConfig(writeConfig(readDemo().replace('price_year: 2019', 'price_year: 1990')))).toThrow(/costs\.price_year/);
    expect(() => loadStudyConfig(writeConfig(readDemo().replace('price_year: 2019\n', '')))).toThrow(/costs\.price_year/);
  });

  test('limits default to 64 GiB per file and 1 MiB per line', () => {
    expect(loadStudyConfig('config/demo.yaml').config.limits).toEqual({ max_file_mib: 65536, max_line_kib: 1024 });
    const text = `${readDemo()}\nlimits:\n  max_line_kib: 64\n`;
    expect(loadStudyConfig(writeConfig(text)).config.limits).toEqual({ max_file_mib: 65536, max_line_kib: 64 });
  });

  test.each([
    ['max_line_kib: 16385', /limits.max_line_kib/],
    ['max_file_mib: 0', /limits.max_file_mib/],
    ['ingest_memory_limit: 3GB', /limits: Unrecognized key: "ingest_memory_limit"/],
    ['max_lines: 3', /limits: Unrecognized key: "max_lines"/],
  ])('limits with %s are refused', (setting, message) => {
    expect(() => loadStudyConfig(writeConfig(`${readDemo()}\nlimits:\n  ${setting}\n`))).toThrow(message);
  });

  test('resources: machine-sized unless given', () => {
    expect(loadStudyConfig('config/demo.yaml').config.resources).toEqual({});
    const text = `${readDemo()}\nresources:\n  memory_limit: 1GB\n  threads: 1\n  temp_directory: /tmp/spill\n`;
    expect(loadStudyConfig(writeConfig(text)).config.resources).toEqual({
      memory_limit: '1GB',
      threads: 1,
      temp_directory: '/tmp/spill',
    });
  });

  test.each([
    ["memory_limit: '4GB; pragma x'", /resources.memory_limit: a size such as 4GB or 512MiB/],
    ['memory_limit: 256MB', /resources.memory_limit: at least 512MiB/],
    ['threads: 0', /resources.threads/],
    ['batch_persons: 700', /resources: Unrecognized key: "batch_persons"/],
    ['cpus: 3', /resources: Unrecognized key: "cpus"/],
  ])('resources with %s are refused', (setting, message) => {
    expect(() => loadStudyConfig(writeConfig(`${readDemo()}\nresources:\n  ${setting}\n`))).toThrow(message);
  });

  test.each(['../elsewhere', '.', 'a/b'])(
    'a delivery named %j in the config is refused: deliveries are directories of the landing directory',
    (name) => {
      const text = readDemo().replace('deliveries: all', `deliveries: [${JSON.stringify(name)}]`);
      expect(() => loadStudyConfig(writeConfig(text))).toThrow(/deliveries/);
    },
  );

  test('a config path that is a directory or a FIFO is refused in one line; a link to a regular file is followed', () => {
    const dir = makeTempDir();
    expect(() => loadStudyConfig(dir)).toThrow(
      `${dir}: the study config is a directory, not a regular file; give the path of the YAML file`,
    );
    const fifo = join(dir, 'study.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadStudyConfig(fifo)).toThrow(/study\.yaml: the study config is a FIFO, not a regular file/);
    const link = join(dir, 'linked.yaml');
    symlinkSync(resolve('config/demo.yaml'), link);
    expect(loadStudyConfig(link).config.study).toBe('demo');
  });
});

function readDemo(): string {
  return readFileSync('config/demo.yaml', 'utf8');
}
