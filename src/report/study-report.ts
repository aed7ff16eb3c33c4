/**
 * The study's published report: tables (export/tables/) and one
 * self-contained HTML page (export/report.html: inline CSS and SVG, no
 * network) with the study settings, attrition, balance, effects, costs and
 * figures. Built only from the disclosure-controlled export files, so it
 * cannot show more than they do; no run id or clock time goes in, so the
 * same export files give the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTCOME_DEFINITIONS, PRIMARY_OUTCOMES } from '../config/outcomes.js';
import type { StudyConfig } from '../config/study-config.js';
import { sqlList } from '../db/database.js';
import {
  acceptabilityCurveSpec,
  atWorkSpec,
  costPlaneSpec,
  effectSpec,
  employmentCurvesSpec,
  lovePlotSpec,
  psDistributionSpec,
  type Row,
  renderSvg,
  subgroupForestSpec,
} from './figures.js';
import { openExportViews, type RenderedTable, writeStudyTables } from './study-tables.js';

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function htmlTable({ table, columns, rows }: RenderedTable): string {
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<section id="${table.name}"><h2>${escapeHtml(table.title)}</h2>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table><p class="note">${escapeHtml(table.note)}</p></section>`;
}

function settingsList(study: StudyConfig): string {
  const { population, arms, matching, follow_up: followUp, index_window: window } = study;
  const items = [
    ['Arms', `${arms.treated} (treated) vs ${arms.control} (control); persons with both: ${arms.both_programmes.replace('_', ' ')}`],
    ['Index date', `start of the first trajectory, ${window.from} to ${window.to}`],
    [
      'Population',
      `age ${population.age_at_index.min}–${population.age_at_index.max} at index, on ${population.qualifying_benefits.join(', ')} at index` +
        (population.target_groups ? `; target groups ${population.target_groups.join(', ')}` : ''),
    ],
    [
      'Matching',
      matching.method === 'exact'
        ? `exact on ${matching.exact.join(', ')}`
        : `nearest neighbour 1:${matching.ratio} on the logit PS (${matching.ps_covariates.join(', ')})` +
          (matching.caliper_sd_logit ? `, caliper ${matching.caliper_sd_logit} SD` : '') +
          (matching.replace ? ', with replacement' : '') +
          (matching.exact.length ? `, exact on ${matching.exact.join(', ')}` : ''),
    ],
    ['Balance gate', `max |SMD| ${matching.balance_max_abs_smd} after matching`],
    ['Follow-up', `${followUp.months_before} months before to ${followUp.months_after} months after the index month`],
    [
      'Outcomes',
      `>= ${study.outcomes.min_hours_any} and >= ${study.outcomes.min_hours_48h} competitive hours a month (sheltered and intern jobs excluded)`,
    ],
    [
      'Costs',
      `euros in prices of ${study.costs.price_year}; discounted ${100 * study.costs.discount_rates.costs}% (costs) and ` +
        `${100 * study.costs.discount_rates.effects}% (effects) a year; percentile bootstrap with ${study.costs.bootstrap.replicates} replicates`,
    ],
    ['Disclosure control', `person counts below ${study.disclosure.min_cell_persons} suppressed with everything derived from them`],
  ];
  return `<dl>${items.map(([term, text]) => `<dt>${escapeHtml(term!)}</dt><dd>${escapeHtml(text!)}</dd>`).join('')}</dl>`;
}

async function renderFigures(db: Awaited<ReturnType<typeof openExportViews>>, study: StudyConfig): Promise<string[]> {
  // Counts arrive as BigInt; Vega wants plain numbers.
  const rows = async (sql: string) =>
    (await db.query<Row>('report: figure data', sql)).map((row) =>
      Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value])),
    );
  const curves = await rows('select * from curves order by weighting, outcome, arm, event_month');
  const effects = await rows(
    'select outcome, estimator, event_month, estimate, ci_low, ci_high from effects order by outcome, estimator, event_month',
  );
  const balance = await rows('select covariate, level, smd_before, smd_after from balance order by covariate, level');
  const psBins = await rows('select * from ps_distribution order by sample, arm, ps_from');
  const figures: string[] = [];
  for (const outcome of PRIMARY_OUTCOMES) {
    const title = OUTCOME_DEFINITIONS[outcome].title;
    figures.push(await renderSvg(employmentCurvesSpec(curves, outcome, `Share ${title}, per arm (matched)`)));
    figures.push(await renderSvg(effectSpec(effects, outcome, `Effect on the share ${title}`)));
  }
  figures.push(await renderSvg(lovePlotSpec(balance, study.matching.balance_max_abs_smd)));
  if (psBins.length) figures.push(await renderSvg(psDistributionSpec(psBins)));
  if (study.subgroups.length) {
    const month = Math.max(...study.follow_up.report_months);
    const forest = await rows(
      `select '' as subgroup, '' as level, outcome, event_month, estimate, ci_low, ci_high
       from effects where estimator = 'matched_att' and list_contains(${sqlList(PRIMARY_OUTCOMES)}, outcome)
       union all
       select subgroup, level, outcome, event_month, estimate, ci_low, ci_high from subgroup_effects where estimator = 'matched_att'
       order by outcome, subgroup, level`,
    );
    figures.push(await renderSvg(subgroupForestSpec(forest, month)));
  }
  figures.push(await renderSvg(costPlaneSpec(await rows('select * from cost_plane order by perspective, replicate'))));
  figures.push(
    await renderSvg(acceptabilityCurveSpec(await rows('select * from cost_acceptability order by perspective, willingness_to_pay_eur'))),
  );
  const atWork = await rows(
    `select make_date(left(quarter, 4)::integer, (right(quarter, 1)::integer - 1) * 3 + 1, 1) as quarter_start, provider_id, share_at_work
     from monitoring order by provider_id, quarter`,
  );
  figures.push(await renderSvg(atWorkSpec(atWork)));
  return figures;
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}.note{font-size:.8rem;color:#555}
dt{font-weight:600}dd{margin:0 0 .4rem 1rem}figure{margin:1rem 0}svg{max-width:100%;height:auto}`;

/** Writes export/tables/ and export/report.html for the run in `runDir`; returns the files written. */
export async function writeStudyReport(runDir: string, study: StudyConfig): Promise<string[]> {
  const exportDir = join(runDir, 'export');
  const db = await openExportViews(exportDir);
  try {
    const tables = await writeStudyTables(db, runDir, study);
    const figures = await renderFigures(db, study);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(study.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(study.title)}</h1>
<section id="settings"><h2>Study settings</h2>${settingsList(study)}</section>
${tables.map(htmlTable).join('\n')}
<section id="figures"><h2>Figures</h2>
${figures.map((svg) => `<figure>${svg}</figure>`).join('\n')}
</section>
</body></html>
`;
    writeFileSync(join(exportDir, 'report.html'), html);
    return [...tables.flatMap(({ table }) => [`tables/${table.name}.csv`, `tables/${table.name}.md`]), 'report.html'];
  } finally {
    db.close();
  }
}
