import { Injectable } from '@nestjs/common';
import ical, { escape, ICalEventStatus } from 'ical-generator';
import { BookingsService, type FeedEntry } from '../bookings/bookings.service';
import { noteVersions } from '../common/http/conditional-get';
import { ConsultantsService } from '../consultants/consultants.service';
import { UsersService } from '../users/users.service';

/** How far back a feed reaches; calendar apps keep what they fetched before. */
const FEED_HISTORY_DAYS = 180;

type Person = { first_name: string; last_name: string };

const fullName = (person: Person) => `${person.first_name} ${person.last_name}`;

/** RFC 5545 feeds of bookings: a stable UID per booking, SEQUENCE raised by every change. */
@Injectable()
export class CalendarFeedService {
  constructor(
    private readonly bookings: BookingsService,
    private readonly consultants: ConsultantsService,
    private readonly users: UsersService,
  ) {}

  async consultantFeed(consultantId: number): Promise<string> {
    const owner = await this.consultantFeedRead(consultantId);
    const bookings = await this.bookings.feed({ consultantId }, FEED_HISTORY_DAYS);
    const users = await this.users.getMany(bookings.map((b) => b.userId));
    return feed(owner, bookings, 'Booking with', (b) => users.get(b.userId));
  }

  async userFeed(userId: number): Promise<string> {
    const owner = await this.userFeedRead(userId);
    const bookings = await this.bookings.feed({ userId }, FEED_HISTORY_DAYS);
    const consultants = await this.consultants.getMany(bookings.map((b) => b.consultantId));
    return feed(owner, bookings, 'Consultation with', (b) => consultants.get(b.consultantId));
  }

  /** The feed's owner, with the versions that say its feed still holds (its ETag); a 404 without it. */
  async consultantFeedRead(consultantId: number): Promise<Person> {
    const owner = await this.consultants.get(consultantId);
    noteVersions([owner, await this.bookings.feedVersion({ consultantId }, FEED_HISTORY_DAYS)]);
    return owner;
  }

  async userFeedRead(userId: number): Promise<Person> {
    const owner = await this.users.get(userId);
    noteVersions([owner, await this.bookings.feedVersion({ userId }, FEED_HISTORY_DAYS)]);
    return owner;
  }
}

/**
 * A booking whose other party is not found was deleted between the reads, by the deletion of
 * that party (ON DELETE CASCADE): the feed leaves it out.
 */
function feed(
  owner: Person,
  bookings: FeedEntry[],
  summary: string,
  otherParty: (booking: FeedEntry) => Person | undefined,
): string {
  const calendar = ical({
    // ical-generator escapes an event's TEXT values but writes NAME and X-WR-CALNAME as given.
    name: escape(`Bookings of ${fullName(owner)}`, false),
    prodId: { company: 'consultant-calendar', product: 'bookings', language: 'EN' },
  });
  for (const booking of bookings) {
    const other = otherParty(booking);
    if (!other) continue;
    calendar.createEvent({
      id: `booking-${booking.id}@consultant-calendar`,
      start: booking.startAt,
      end: booking.endAt,
      stamp: booking.updatedAt,
      sequence: booking.sequence,
      status: booking.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      summary: `${summary} ${fullName(other)}`,
    });
  }
  return calendar.toString();
}
