/**
 * Upper-tail probabilities of the chi-square and F distributions, for the
 * pre-trend Wald test. Regularized incomplete gamma and beta functions by
 * series and Lentz continued fractions (Numerical Recipes, 3rd ed., 6.2 and
 * 6.4), log-gamma by Lanczos (g = 7, 9 terms); relative error about 1e-13,
 * checked against R's pchisq and pf in test/reference/did/fixtures.json.
 */

/** P(X > statistic) for X ~ chi-square(df). */
export function chiSquareUpperTail(statistic: number, df: number): number {
  if (statistic <= 0) return 1;
  return upperRegularizedGamma(df / 2, statistic / 2);
}

/** P(X > statistic) for X ~ F(df1, df2). */
export function fUpperTail(statistic: number, df1: number, df2: number): number {
  if (statistic <= 0) return 1;
  return regularizedBeta(df2 / (df2 + df1 * statistic), df2 / 2, df1 / 2);
}

const MAX_ITERATIONS = 10_000;
const EPSILON = 1e-16;
const TINY = 1e-300;

/** Q(a, x) = Gamma(a, x) / Gamma(a). */
function upperRegularizedGamma(a: number, x: number): number {
  const logPrefactor = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // Series for P(a, x); Q = 1 - P is not small here, so nothing is lost.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS && Math.abs(term) > Math.abs(sum) * EPSILON; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * Math.exp(logPrefactor);
  }
  // Continued fraction for Q(a, x).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = nonZero(an * d + b);
    c = nonZero(b + an / c);
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(logPrefactor) * fraction;
}

/** I_x(a, b), the regularized incomplete beta function. */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logPrefactor = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logPrefactor) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logPrefactor) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 / nonZero(1 - ((a + b) * x) / (a + 1));
  let fraction = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / nonZero(1 + even * d);
    c = nonZero(1 + even / c);
    fraction *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / nonZero(1 + odd * d);
    c = nonZero(1 + odd / c);
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return fraction;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const shifted = z - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (shifted + i);
  const t = shifted + LANCZOS.length - 1.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

function nonZero(value: number): number {
  return Math.abs(value) < TINY ? TINY : value;
}
