// Welch's t interval and Student's t quantiles against reference values (scipy.stats 1.17, tables).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleOf, studentTCdf, studentTQuantile, welchInterval } from '../../gateway/events/welch';
import { seededRandom } from '../../gateway/routing/seeded-random';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

test('t quantiles match the tables, fractional degrees of freedom included, and tend to the normal', () => {
  const table: Array<[number, number, number]> = [
    [0.975, 1, 12.706204736], [0.975, 2, 4.302652730], [0.975, 5, 2.570581836], [0.975, 10, 2.228138852],
    [0.975, 30, 2.042272456], [0.975, 100, 1.983971519], [0.995, 10, 3.169272673], [0.95, 20, 1.724718243],
    // scipy.stats.t.ppf(0.975, 24.9) and (0.975, 3.7)
    [0.975, 24.9, 2.059958032], [0.975, 3.7, 2.867520707],
  ];
  for (const [p, df, expected] of table) close(studentTQuantile(p, df), expected, 1e-6, `t(${p}, ${df})`);
  close(studentTQuantile(0.975, 1e12), 1.959963985, 1e-6, 'normal limit');
  assert.equal(studentTQuantile(0.5, 7), 0);
  close(studentTCdf(-2.228138852, 10), 0.025, 1e-9, 'lower tail');
  assert.throws(() => studentTQuantile(0.2, 3), /needs 0\.5 <= p < 1/);
  assert.throws(() => studentTQuantile(0.975, 0), /df > 0/);
});

test('Welch\'s interval matches scipy on Wikipedia\'s example (unequal variances)', () => {
  const a = sampleOf([27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]);
  const b = sampleOf([27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]);
  const ci = welchInterval(a, b);
  // scipy.stats.ttest_ind(b, a, equal_var=False): df 24.9885, 95% interval 0.349237 to 3.984096.
  close(ci.df, 24.988529290, 1e-6, 'df');
  close(ci.low, 0.349237066, 1e-6, 'low');
  close(ci.high, 3.984096267, 1e-6, 'high');
  close(ci.difference, (ci.low + ci.high) / 2, 1e-12, 'centre');
  // Swapping the samples flips the interval.
  const swapped = welchInterval(b, a);
  close(swapped.low, -ci.high, 1e-9, 'swapped low');
});

test('constant samples give a point interval; fewer than two values are refused', () => {
  assert.deepEqual(welchInterval(sampleOf([5, 5, 5]), sampleOf([7, 7])), { difference: 2, low: 2, high: 2, df: Infinity });
  assert.throws(() => welchInterval(sampleOf([1]), sampleOf([1, 2])), /at least 2 values/);
  assert.deepEqual(sampleOf([2, 4, 9]), { n: 3, mean: 5, variance: 13 });
});

test('over 2000 simulated A/B tests with unequal variances and sizes, the 95% interval covers the true difference ~95% of the time', () => {
  const random = seededRandom(1234);
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let covered = 0;
  const trials = 2000;
  for (let i = 0; i < trials; i++) {
    const a = sampleOf(Array.from({ length: 20 }, () => normal(300, 40)));
    const b = sampleOf(Array.from({ length: 45 }, () => normal(320, 120)));
    const ci = welchInterval(a, b);
    if (ci.low <= 20 && 20 <= ci.high) covered++;
  }
  const rate = covered / trials;
  // Binomial sd at 2000 trials is ~0.5 points: 93.5–96.5% is three of them.
  assert.ok(rate > 0.935 && rate < 0.965, `coverage ${rate}`);
});
