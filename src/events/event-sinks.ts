import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CalendarEvent } from '@consultant-calendar/client';

/**
 * Hands a batch of events on, in the relay's transaction (`manager`): each consultant's events
 * in sequence order. Throwing rolls the batch back; it is retried, so a sink sees an event at
 * least once.
 */
export type EventSink = (manager: EntityManager, events: CalendarEvent[]) => Promise<void>;

/**
 * Where the relay delivers: the modules that deliver (broker events, webhooks) add their sink at
 * start-up, so the relay depends on none of them.
 */
@Injectable()
export class EventSinks {
  private readonly sinks: EventSink[] = [];
  private readonly listeners: (() => void)[] = [];

  add(sink: EventSink): void {
    this.sinks.push(sink);
  }

  /** Called after each batch commits: a sink that works on from the database (webhooks) starts now. */
  onCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }

  committed(): void {
    for (const listener of this.listeners) listener();
  }

  async deliver(manager: EntityManager, events: CalendarEvent[]): Promise<void> {
    for (const sink of this.sinks) await sink(manager, events);
  }
}
