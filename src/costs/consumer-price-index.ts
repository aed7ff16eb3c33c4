/**
 * The Dutch consumer price index, to express every euro of the cost
 * analysis in the prices of one year (study config `costs.price_year`).
 *
 * Source: Statistics Netherlands (CBS), StatLine table 83131NED
 * "Consumentenprijzen; prijsindex 2015=100", CPI all households, the
 * published year-on-year change of the annual average ("jaarmutatie"), in
 * percent with one decimal. The index (2015 = 100) is chained from those
 * changes by `consumerPriceIndex`, so it can differ from StatLine's own index
 * series by rounding (a few hundredths of a point).
 * Transcribed by hand: check against StatLine before extending the table.
 */
export const CPI_ANNUAL_CHANGE_PERCENT: Readonly<Record<number, number>> = {
  2006: 1.1,
  2007: 1.6,
  2008: 2.5,
  2009: 1.2,
  2010: 1.3,
  2011: 2.3,
  2012: 2.5,
  2013: 2.5,
  2014: 1.0,
  2015: 0.6,
  2016: 0.3,
  2017: 1.4,
  2018: 1.7,
  2019: 2.6,
  2020: 1.3,
  2021: 2.7,
  2022: 10.0,
  2023: 3.8,
  2024: 3.3,
};

export const CPI_BASE_YEAR = 2015;

const years = Object.keys(CPI_ANNUAL_CHANGE_PERCENT).map(Number);
/** The years the index covers; a cost in another year stops the costs stage. */
export const CPI_YEARS = { from: Math.min(...years), to: Math.max(...years) } as const;

/** The index per year, 2015 = 100, chained from the annual changes and rounded to 1e-6. */
export function consumerPriceIndex(): Map<number, number> {
  const index = new Map<number, number>([[CPI_BASE_YEAR, 100]]);
  for (let year = CPI_BASE_YEAR + 1; year <= CPI_YEARS.to; year++)
    index.set(year, index.get(year - 1)! * (1 + CPI_ANNUAL_CHANGE_PERCENT[year]! / 100));
  // The change of year y is from y-1 to y, so going back divides by the later year's change.
  for (let year = CPI_BASE_YEAR - 1; year >= CPI_YEARS.from; year--)
    index.set(year, index.get(year + 1)! / (1 + CPI_ANNUAL_CHANGE_PERCENT[year + 1]! / 100));
  return new Map([...index].sort(([a], [b]) => a - b).map(([year, value]) => [year, Math.round(value * 1e6) / 1e6]));
}

/**
 * The Dutch costing guideline: Zorginstituut Nederland (2016), "Richtlijn
 * voor het uitvoeren van economische evaluaties in de gezondheidszorg",
 * section 4.4 (discounting): costs 4% and effects 1.5% a year.
 */
export const DUTCH_GUIDELINE_DISCOUNT_RATES = { costs: 0.04, effects: 0.015 } as const;
