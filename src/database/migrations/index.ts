import { Foundation1763700000000 } from './1763700000000-Foundation';
import { Availability1763700100000 } from './1763700100000-Availability';
import { Bookings1763700200000 } from './1763700200000-Bookings';
import { BookingLength1763700300000 } from './1763700300000-BookingLength';
import { GeneratedColumnsMetadata1763700400000 } from './1763700400000-GeneratedColumnsMetadata';
import { Policy1795985493840 } from './1795985493840-Policy';
import { DateOverrides1795987133668 } from './1795987133668-DateOverrides';
import { Holds1795987862421 } from './1795987862421-Holds';

/**
 * Every migration, oldest first. A list rather than a glob: a glob names one file extension,
 * and the service runs compiled `.js` while the tests run the `.ts` sources.
 */
export const MIGRATIONS = [
  Foundation1763700000000,
  Availability1763700100000,
  Bookings1763700200000,
  BookingLength1763700300000,
  GeneratedColumnsMetadata1763700400000,
  Policy1795985493840,
  DateOverrides1795987133668,
  Holds1795987862421,
];
