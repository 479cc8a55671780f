/**
 * A timestamptz column as epoch milliseconds (float8, exact below 2^53, truncated to the
 * millisecond as a Date would be). pg would otherwise parse each value into a Date that the
 * services only ask for getTime(): about 0.4 µs of Node CPU per value, plus the garbage.
 */
export const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::float8`;
