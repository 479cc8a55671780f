import { Temporal } from 'temporal-polyfill';

/**
 * UTC offsets of one IANA zone, read from Temporal and cached.
 *
 * The polyfill answers each wall-clock conversion through Intl in about 10 µs; a calendar view
 * over 92 days for many consultants makes tens of thousands of them. Temporal is asked once per
 * bucket of ~398 days for the offset at the bucket's start and the transitions inside it; every
 * conversion after that is a Map lookup and integer arithmetic. Disambiguation reproduces
 * Temporal's: a gap moves forward by its length ('compatible'), a repeated time means its
 * earlier instant. The unit tests compare both against Temporal itself.
 */

const BUCKET_MS = 2 ** 35;
// Temporal bounds |offset| below a day, so every instant with a given wall-clock lies within a
// day of that wall-clock read as UTC.
const DAY_MS = 86_400_000;
const MAX_BUCKETS_PER_ZONE = 4096;
const MAX_ZONES = 1024;

/** Offsets in force from starts[i] (starts[0] is the bucket's start, not a transition). */
type Bucket = { readonly starts: readonly number[]; readonly offsets: readonly number[] };

// An IANA name ('America/New_York', 'UTC', 'Etc/GMT+5'); Temporal would also take '+05:00'.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Temporal's spelling of an IANA zone name ('utc' → 'UTC'), or null for offsets and unknown names. */
export function canonicalTimeZone(zone: string): string | null {
  if (typeof zone !== 'string' || zone.length > 64 || !IANA_NAME.test(zone)) return null;
  try {
    return new Temporal.ZonedDateTime(0n, zone).timeZoneId;
  } catch {
    return null;
  }
}

export class ZoneOffsets {
  private readonly buckets = new Map<number, Bucket>();

  private constructor(readonly zone: string) {}

  private static readonly cache = new Map<string, ZoneOffsets>();

  /** Throws RangeError unless `zone` is an IANA name Temporal knows. */
  static of(zone: string): ZoneOffsets {
    let offsets = ZoneOffsets.cache.get(zone);
    if (offsets === undefined) {
      if (canonicalTimeZone(zone) === null) throw new RangeError(`unknown IANA time zone: ${zone}`);
      if (ZoneOffsets.cache.size >= MAX_ZONES) ZoneOffsets.cache.clear();
      offsets = new ZoneOffsets(zone);
      ZoneOffsets.cache.set(zone, offsets);
    }
    return offsets;
  }

  /** Milliseconds to add to `instant` to read the zone's wall-clock as if it were UTC. */
  offsetAt(instant: number): number {
    const { starts, offsets } = this.bucket(Math.floor(instant / BUCKET_MS));
    let i = starts.length - 1;
    while (i > 0 && instant < starts[i]!) i--;
    return offsets[i]!;
  }

  /** The earliest instant showing wall-clock `localMs`, or null when it falls in a gap. */
  earliestInstant(localMs: number): number | null {
    let earliest: number | null = null;
    this.forEachOffsetNear(localMs, (offset) => {
      const instant = localMs - offset;
      if ((earliest === null || instant < earliest) && this.offsetAt(instant) === offset) {
        earliest = instant;
      }
    });
    return earliest;
  }

  /** RFC 5545 / Temporal 'compatible': a time in a gap is read with the offset before the gap. */
  compatibleInstant(localMs: number): number {
    const existing = this.earliestInstant(localMs);
    if (existing !== null) return existing;
    let shifted: number | null = null;
    this.forEachOffsetNear(localMs, (offset, transitionAt, offsetBefore) => {
      if (offset > offsetBefore && transitionAt + offsetBefore <= localMs && localMs < transitionAt + offset) {
        shifted = localMs - offsetBefore;
      }
    });
    // A gap always has a transition that opened it; the fallback only guards against a
    // time zone database with transitions closer together than the gap itself.
    return shifted ?? localMs - this.offsetAt(localMs - DAY_MS);
  }

  /**
   * Calls `visit` with the offset in force a day before `localMs` read as UTC, then with every
   * offset taken on from there to a day after, with the transition instant and the offset
   * before it. These are all offsets an instant showing that wall-clock could have.
   */
  private forEachOffsetNear(
    localMs: number,
    visit: (offset: number, transitionAt: number, offsetBefore: number) => void,
  ): void {
    const from = localMs - DAY_MS;
    const to = localMs + DAY_MS;
    let previous = this.offsetAt(from);
    visit(previous, from, previous);
    for (let key = Math.floor(from / BUCKET_MS); key * BUCKET_MS <= to; key++) {
      const { starts, offsets } = this.bucket(key);
      // A bucket's first entry is visited too: a transition may fall exactly on its start.
      for (let i = 0; i < starts.length; i++) {
        const at = starts[i]!;
        if (at <= from || at > to) continue;
        visit(offsets[i]!, at, previous);
        previous = offsets[i]!;
      }
    }
  }

  private bucket(key: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = this.load(key);
      if (this.buckets.size >= MAX_BUCKETS_PER_ZONE) this.buckets.clear();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private load(key: number): Bucket {
    const start = key * BUCKET_MS;
    const end = start + BUCKET_MS;
    let zoned: Temporal.ZonedDateTime | null = Temporal.Instant.fromEpochMilliseconds(start).toZonedDateTimeISO(
      this.zone,
    );
    const starts = [start];
    const offsets = [zoned.offsetNanoseconds / 1e6];
    for (;;) {
      zoned = zoned.getTimeZoneTransition('next');
      if (zoned === null || zoned.epochMilliseconds >= end) break;
      starts.push(zoned.epochMilliseconds);
      offsets.push(zoned.offsetNanoseconds / 1e6);
    }
    return { starts, offsets };
  }
}
