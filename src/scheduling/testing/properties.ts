// Test support for the scheduling specs only: production code must never import from testing/.
import * as fc from 'fast-check';

/**
 * Every property runs at least 1000 cases. A failure prints its seed and path; replay it with
 * FC_SEED=<seed> (and FC_PATH=<path>); FC_RUNS raises the number of cases for a longer hunt.
 */
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const path = process.env.FC_PATH;
const numRuns = Math.max(1000, Number(process.env.FC_RUNS ?? 1000));

export function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>): void {
  fc.assert(property, { numRuns, ...(seed === undefined ? {} : { seed }), ...(path === undefined ? {} : { path }) });
}
