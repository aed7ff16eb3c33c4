/**
 * The study figures as SVG, rendered server-side by Vega from Vega-Lite
 * specs (no browser, no hand-written SVG): monthly employment per arm with
 * CI bands, the effect per month with its CI, a love plot (SMD before and
 * after matching) and the propensity-score distributions. Input rows come
 * from the disclosure-controlled export files only. Rendering is
 * deterministic: the same rows give the same bytes.
 */
import type { TopLevelSpec } from 'vega-lite';
import { covariateLabel } from '../match/design-matrix.js';

export type Row = Record<string, unknown>;

const WIDTH = 560;
const HEIGHT = 260;
const ARM_COLOURS = { range: ['#1b6ca8', '#d9822b'] };

/**
 * Vega and Vega-Lite, loaded with the first figure rather than when the CLI starts: about half a second of every
 * start, which a run that publishes nothing (a no-op, a refused delivery) or a command without figures never needs.
 */
let renderer: Promise<{ vega: typeof import('vega'); compile: typeof import('vega-lite').compile }> | undefined;

async function loadRenderer() {
  renderer ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, compile: vegaLite.compile }));
  return renderer;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, compile } = await loadRenderer();
  // Vega logs data errors and carries on; a figure must not silently miss data, so they throw.
  const logger = {
    ...vega.logger(vega.Warn),
    error: (...args: unknown[]) => {
      throw new Error(`figure: ${args.map(String).join(' ')}`);
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A line per colour over the event months, with its 95% CI (ci_low, ci_high) as a band. */
function linesWithBands(
  title: string,
  values: Row[],
  colour: { field: string; title: string; scale?: typeof ARM_COLOURS },
  line: { field: string; title: string },
  extraLayers: object[] = [],
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: {
      x: { field: 'event_month', type: 'quantitative', title: 'months since start of trajectory' },
      color: { field: colour.field, type: 'nominal', title: colour.title, ...(colour.scale ? { scale: colour.scale } : {}) },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          y: { field: 'ci_low', type: 'quantitative', title: line.title, axis: { format: '%' } },
          y2: { field: 'ci_high' },
        },
      },
      { mark: { type: 'line' }, encoding: { y: { field: line.field, type: 'quantitative' } } },
      ...extraLayers,
    ],
  } as TopLevelSpec;
}

/** Share employed per arm and event month (matched), with 95% CI bands. */
export function employmentCurvesSpec(rows: Row[], outcome: string, title: string): TopLevelSpec {
  const values = rows.filter((row) => row.outcome === outcome && row.weighting === 'matched' && row.mean !== null);
  return linesWithBands(title, values, { field: 'arm', title: 'arm', scale: ARM_COLOURS }, { field: 'mean', title: 'share employed' });
}

/** Effect per event month with its 95% CI, one colour per estimator. */
export function effectSpec(rows: Row[], outcome: string, title: string): TopLevelSpec {
  const values = rows.filter((row) => row.outcome === outcome && row.estimator !== 'unadjusted' && row.estimate !== null);
  return linesWithBands(
    title,
    values,
    { field: 'estimator', title: 'estimator' },
    { field: 'estimate', title: 'effect (difference in share)' },
    [{ mark: { type: 'rule', color: 'black', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } }],
  );
}

/** Love plot: |SMD| per covariate (level) before and after matching, with the balance limit. */
export function lovePlotSpec(rows: Row[], limit: number): TopLevelSpec {
  const points = rows.flatMap((row) => {
    const name = covariateLabel(String(row.covariate), row.level ? String(row.level) : null);
    return (['before', 'after'] as const)
      .filter((sample) => row[`smd_${sample}`] !== null && row[`smd_${sample}`] !== undefined)
      .map((sample) => ({ covariate: name, sample, abs_smd: Math.abs(Number(row[`smd_${sample}`])) }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Covariate balance: |standardised mean difference| before and after matching',
    width: WIDTH,
    data: { values: points },
    layer: [
      {
        mark: { type: 'point', filled: true },
        encoding: {
          y: { field: 'covariate', type: 'nominal', sort: null, title: null },
          x: { field: 'abs_smd', type: 'quantitative', title: '|SMD| (treated SD before matching)' },
          color: { field: 'sample', type: 'nominal', title: 'matching', sort: ['before', 'after'] },
        },
      },
      { mark: { type: 'rule', color: 'black', strokeDash: [4, 4] }, encoding: { x: { datum: limit } } },
    ],
  };
}

/** Propensity-score distributions per arm, before and after matching (binned counts). */
export function psDistributionSpec(rows: Row[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Propensity score per arm (persons per bin of 0.05)',
    data: { values: rows.filter((row) => row.persons !== null) },
    facet: { row: { field: 'sample', type: 'nominal', title: null, sort: ['before', 'after'] } },
    spec: {
      width: WIDTH,
      height: 140,
      mark: { type: 'bar', opacity: 0.6 },
      encoding: {
        x: { field: 'ps_from', type: 'quantitative', bin: { binned: true, step: 0.05 }, title: 'propensity score' },
        x2: { field: 'ps_to' },
        y: { field: 'persons', type: 'quantitative', stack: null, title: 'persons' },
        color: { field: 'arm', type: 'nominal', scale: ARM_COLOURS },
      },
    },
  };
}

/** Forest plot: the matched ATT per subgroup level at one month, with its 95% CI, beside the whole study's. */
export function subgroupForestSpec(rows: Row[], month: number): TopLevelSpec {
  const points = rows
    .filter((row) => row.event_month === month && row.estimate !== null)
    .map((row) => ({ ...row, label: row.subgroup ? `${String(row.subgroup)}: ${String(row.level)}` : 'whole study' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Effect per subgroup at month ${month}: matched ATT with 95% CI`,
    data: { values: points },
    facet: { column: { field: 'outcome', type: 'nominal', title: null } },
    spec: {
      width: WIDTH / 2,
      encoding: { y: { field: 'label', type: 'nominal', sort: null, title: null } },
      layer: [
        {
          mark: { type: 'rule' },
          encoding: {
            x: { field: 'ci_low', type: 'quantitative', title: 'effect (difference in share)', axis: { format: '%' } },
            x2: { field: 'ci_high' },
          },
        },
        { mark: { type: 'point', filled: true }, encoding: { x: { field: 'estimate', type: 'quantitative' } } },
        { mark: { type: 'rule', color: 'black', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
      ],
    },
  };
}

/** Monitoring: share at work among persons in an active trajectory per quarter, per provider and for the programme as a whole. */
export function atWorkSpec(rows: Row[]): TopLevelSpec {
  const points = rows.filter((row) => row.share_at_work !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Share at work among persons in an active IPS trajectory, per quarter (black: all providers)',
    width: WIDTH,
    height: HEIGHT,
    encoding: {
      x: { field: 'quarter_start', type: 'temporal', title: 'quarter' },
      y: { field: 'share_at_work', type: 'quantitative', title: 'share at work', axis: { format: '%' } },
    },
    layer: [
      {
        data: { values: points.filter((row) => row.provider_id !== 'all') },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.6 },
        encoding: { color: { field: 'provider_id', type: 'nominal', title: 'provider' } },
      },
      { data: { values: points.filter((row) => row.provider_id === 'all') }, mark: { type: 'line', color: 'black', strokeWidth: 3 } },
    ],
  };
}

/** The cost-effectiveness plane: each bootstrap replicate's incremental effect and cost, one panel per perspective. */
export function costPlaneSpec(rows: Row[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Cost-effectiveness plane: bootstrap replicates of the incremental effect and cost (IPS - TVR)',
    data: { values: rows.filter((row) => row.incremental_effect !== null && row.incremental_cost_eur !== null) },
    facet: { column: { field: 'perspective', type: 'nominal', title: null } },
    spec: {
      width: WIDTH / 2,
      height: HEIGHT,
      layer: [
        {
          mark: { type: 'point', size: 8, opacity: 0.4, filled: true },
          encoding: {
            x: { field: 'incremental_effect', type: 'quantitative', title: 'extra persons in work per treated person' },
            y: { field: 'incremental_cost_eur', type: 'quantitative', title: 'incremental cost (EUR per treated person)' },
          },
        },
        { mark: { type: 'rule', color: 'black' }, encoding: { x: { datum: 0 } } },
        { mark: { type: 'rule', color: 'black' }, encoding: { y: { datum: 0 } } },
      ],
    },
  } as TopLevelSpec;
}

/** The cost-effectiveness acceptability curve: probability that IPS is cost-effective per willingness to pay, one line per perspective. */
export function acceptabilityCurveSpec(rows: Row[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Cost-effectiveness acceptability curve',
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows.filter((row) => row.probability_cost_effective !== null) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'willingness_to_pay_eur', type: 'quantitative', title: 'willingness to pay per extra person in work (EUR)' },
      y: {
        field: 'probability_cost_effective',
        type: 'quantitative',
        title: 'probability cost-effective',
        axis: { format: '%' },
        scale: { domain: [0, 1] },
      },
      color: { field: 'perspective', type: 'nominal', title: 'perspective' },
    },
  };
}
