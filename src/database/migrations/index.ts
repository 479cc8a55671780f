import { Foundation1763700000000 } from './1763700000000-Foundation';
import { Availability1763700100000 } from './1763700100000-Availability';
import { Bookings1763700200000 } from './1763700200000-Bookings';
import { BookingLength1763700300000 } from './1763700300000-BookingLength';
import { GeneratedColumnsMetadata1763700400000 } from './1763700400000-GeneratedColumnsMetadata';
import { Outbox1795985368673 } from './1795985368673-Outbox';
import { Policy1795985493840 } from './1795985493840-Policy';
import { Webhooks1795986031344 } from './1795986031344-Webhooks';
import { DateOverrides1795987133668 } from './1795987133668-DateOverrides';
import { Holds1795987862421 } from './1795987862421-Holds';
import { OneStatementBooking1796000000000 } from './1796000000000-OneStatementBooking';
import { ClientShare1796050000000 } from './1796050000000-ClientShare';
import { BookingEngine1796100000000 } from './1796100000000-BookingEngine';
import { AttemptErrorWords1796200000000 } from './1796200000000-AttemptErrorWords';
import { LeanBooking1796300000000 } from './1796300000000-LeanBooking';
import { RefusalLeavesConsultant1796500000000 } from './1796500000000-RefusalLeavesConsultant';
import { PooledBooking1796600000000 } from './1796600000000-PooledBooking';

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
  Outbox1795985368673,
  Policy1795985493840,
  Webhooks1795986031344,
  DateOverrides1795987133668,
  Holds1795987862421,
  OneStatementBooking1796000000000,
  ClientShare1796050000000,
  BookingEngine1796100000000,
  AttemptErrorWords1796200000000,
  LeanBooking1796300000000,
  RefusalLeavesConsultant1796500000000,
  PooledBooking1796600000000,
];
