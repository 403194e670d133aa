// Welch's t interval for the difference of two means with unequal variances: what `kt events stats
// --by tag` reports between A/B arms. Plain numerics, no dependency: Student's t quantile by bisection
// on its CDF (regularized incomplete beta, continued fraction as in Numerical Recipes §6.4).

export interface Sample {
  n: number;
  mean: number;
  /** Sample variance (n − 1 in the denominator); 0 for n < 2. */
  variance: number;
}

export function sampleOf(values: readonly number[]): Sample {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, variance: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { n, mean, variance: n > 1 ? squares / (n - 1) : 0 };
}

export interface DifferenceInterval {
  /** mean(b) − mean(a). */
  difference: number;
  low: number;
  high: number;
  /** Welch–Satterthwaite degrees of freedom (Infinity when both samples are constant). */
  df: number;
}

/** Interval for mean(b) − mean(a) at `confidence`; both samples need n ≥ 2. */
export function welchInterval(a: Sample, b: Sample, confidence = 0.95): DifferenceInterval {
  if (a.n < 2 || b.n < 2) throw new RangeError('Welch\'s interval needs at least 2 values per sample');
  const difference = b.mean - a.mean;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se2 = va + vb;
  if (se2 === 0) return { difference, low: difference, high: difference, df: Infinity };
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  const half = t * Math.sqrt(se2);
  return { difference, low: difference - half, high: difference + half, df };
}

/** The p-quantile (0.5 ≤ p < 1) of Student's t with `df` degrees of freedom (df > 0, fractional allowed). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0.5 && p < 1) || !(df > 0)) throw new RangeError(`studentTQuantile needs 0.5 <= p < 1 and df > 0, got p=${p}, df=${df}`);
  if (p === 0.5) return 0;
  // Past 1e7 degrees of freedom t is the normal distribution to ~1e-7; the continued fraction gets slow.
  const nu = Math.min(df, 1e7);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, nu) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, nu) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast on this side of the mean; use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** Lanczos approximation (g = 7, 9 terms): about 15 significant digits for x > 0. */
function logGamma(x: number): number {
  const g = 7;
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < g + 2; i++) sum += coefficients[i] / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
