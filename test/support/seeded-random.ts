// Randomised tests pick the same inputs on every run with the gateway's own seeded generator.
export { seededRandom } from '../../gateway/routing/seeded-random';
