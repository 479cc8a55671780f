import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import ical, { ICalEventStatus } from 'ical-generator';
import { DataSource } from 'typeorm';
import { notFound } from '../common/http/problem';

/** How far back a feed reaches; calendar apps keep what they fetched before. */
const FEED_HISTORY_DAYS = 180;

interface FeedRow {
  id: number;
  start_at: Date;
  end_at: Date;
  status: 'confirmed' | 'cancelled';
  sequence: number;
  updated_at: Date;
  consultant_name: string;
  user_name: string;
}

/** RFC 5545 feeds of bookings: a stable UID per booking, SEQUENCE raised by every change. */
@Injectable()
export class CalendarFeedService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  consultantFeed(consultantId: number): Promise<string> {
    return this.feed('consultants', consultantId, 'b.consultant_id', (row) => `Booking with ${row.user_name}`);
  }

  userFeed(userId: number): Promise<string> {
    return this.feed('users', userId, 'b.user_id', (row) => `Consultation with ${row.consultant_name}`);
  }

  private async feed(
    table: 'consultants' | 'users',
    ownerId: number,
    column: string,
    summary: (row: FeedRow) => string,
  ): Promise<string> {
    const [owner] = await this.db.query<{ name: string }[]>(
      `SELECT first_name || ' ' || last_name AS name FROM ${table} WHERE id = $1`,
      [ownerId],
    );
    if (!owner) throw notFound(`${table === 'users' ? 'User' : 'Consultant'} ${ownerId}`);
    const rows = await this.db.query<FeedRow[]>(
      `SELECT b.id, b.start_at, b.end_at, b.status, b.sequence, b.updated_at,
              c.first_name || ' ' || c.last_name AS consultant_name, u.first_name || ' ' || u.last_name AS user_name
         FROM bookings b JOIN consultants c ON c.id = b.consultant_id JOIN users u ON u.id = b.user_id
        WHERE ${column} = $1 AND b.end_at > now() - make_interval(days => $2)
        ORDER BY b.start_at, b.id`,
      [ownerId, FEED_HISTORY_DAYS],
    );
    const calendar = ical({
      name: `Bookings of ${owner.name}`,
      prodId: { company: 'consultant-calendar', product: 'bookings', language: 'EN' },
    });
    for (const row of rows) {
      calendar.createEvent({
        id: `booking-${row.id}@consultant-calendar`,
        start: row.start_at,
        end: row.end_at,
        stamp: row.updated_at,
        sequence: row.sequence,
        status: row.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
        summary: summary(row),
      });
    }
    return calendar.toString();
  }
}
