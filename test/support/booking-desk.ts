// The README's sibling service ("Internal messages"), word for word:
// test/e2e/messages.e2e-spec.ts runs it over every transport and checks the two stay the same.
import { Injectable, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CalendarClient, CalendarClientError, CalendarClientModule } from '@consultant-calendar/client';

@Injectable()
export class BookingDesk {
  constructor(private readonly calendar: CalendarClient) {}

  /** Books the consultant's first free half hour of the day for the user; null when taken. */
  async bookFirstFree(userId: number, consultantId: number, date: string) {
    const user = { role: 'user' as const, id: userId };
    const query = { consultant_id: consultantId, start: date, end: date, slot_minutes: 30 };
    const [slot] = (await this.calendar.freeTime(query)).slots;
    if (!slot) return null;
    try {
      const target = { consultant_id: consultantId, start: slot.start, end: slot.end };
      return await this.calendar.createBooking(user, target, randomUUID());
    } catch (error) {
      if (error instanceof CalendarClientError && error.type === '/problems/time-taken') return null;
      throw error;
    }
  }

  upcoming(userId: number) {
    return this.calendar.listBookings({ role: 'user', id: userId }, { status: 'confirmed' });
  }

  cancel(userId: number, bookingId: number) {
    return this.calendar.cancelBooking({ role: 'user', id: userId }, bookingId);
  }
}

@Module({
  imports: [
    // Read when the app starts: the calendar's MICROSERVICE_URL and INTERNAL_TOKEN.
    CalendarClientModule.registerAsync({
      useFactory: () => ({
        url: process.env.CALENDAR_URL ?? 'tcp://127.0.0.1:3001',
        token: process.env.CALENDAR_TOKEN!,
        timeoutMs: 5_000,
      }),
    }),
  ],
  providers: [BookingDesk],
})
export class BookingDeskModule {}
