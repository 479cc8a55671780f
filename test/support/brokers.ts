import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { spawnSync } from 'node:child_process';
import {
  calendarEvents,
  type CalendarEvent,
  type CalendarEventsOptions,
  EVENT_TYPES,
} from '@consultant-calendar/client';
import { eventStream, parseTransportUrl } from '@consultant-calendar/client/wire';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { warnSkipping } from './postgres-server';

/** Which brokers answer on their port, asked synchronously so that Jest can skip at collection time. */
export function reachablePorts(ports: number[]): Set<number> {
  const script = `const net = require('node:net');
Promise.all(${JSON.stringify(ports)}.map((port) => new Promise((done) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.setTimeout(2000, () => { socket.destroy(); done(null); });
  socket.on('connect', () => { socket.destroy(); done(port); });
  socket.on('error', () => done(null));
}))).then((up) => process.stdout.write(JSON.stringify(up.filter(Boolean))));`;
  const probe = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  return new Set<number>(probe.status === 0 ? (JSON.parse(probe.stdout) as number[]) : []);
}

/** NATS at 127.0.0.1:4222, or a loud warning naming the suite that is skipped without it. */
export function natsOrSkip(suite: string): boolean {
  if (reachablePorts([4222]).has(4222)) return true;
  warnSkipping(suite, 'no NATS server answers on 127.0.0.1:4222');
  return false;
}

export interface EventListener {
  received: CalendarEvent[];
  close(): Promise<void>;
}

export interface ListenerOptions extends Omit<CalendarEventsOptions, 'url'> {
  /** Where its handler puts what it received; a listener started again with the same consumer and list goes on in it. */
  received?: CalendarEvent[];
  /** Called with each event before it is kept; what it throws, the handler throws. */
  check?: (event: CalendarEvent) => void;
}

/**
 * A sibling service subscribed to every calendar event with @EventPattern, as the README shows;
 * on NATS through its durable consumer (`sibling` unless named).
 */
export async function listenForEvents(
  url: string,
  { consumer = 'sibling', received = [], check, ...options }: ListenerOptions = {},
): Promise<EventListener> {
  @Controller()
  class Listener {
    @EventPattern([...EVENT_TYPES])
    on(@Payload() event: CalendarEvent) {
      check?.(event);
      received.push(event);
    }
  }
  @Module({ controllers: [Listener] })
  class ListenerModule {}
  const app = await NestFactory.createMicroservice(ListenerModule, {
    ...calendarEvents({ url, consumer, ...options }),
    logger: false,
  });
  await app.listen();
  return { received, close: () => app.close() };
}

/** Runs `work` on the JetStream stream of a test's namespace on the machine's NATS. */
async function onEventStream<T>(url: string, work: (jsm: JetStreamManager, stream: string) => Promise<T>): Promise<T> {
  const target = parseTransportUrl(url)!;
  const connection = await connect({ servers: target.url.host });
  try {
    return await work(await jetstreamManager(connection), eventStream(target).name);
  } finally {
    await connection.close();
  }
}

/** Removes the JetStream stream of a test's namespace, its consumers with it. */
export const removeEventStream = (url: string): Promise<boolean> =>
  onEventStream(url, (jsm, stream) => jsm.streams.delete(stream));

/** The events the stream of a test's namespace holds, in its order. */
export const storedEvents = (url: string): Promise<CalendarEvent[]> =>
  onEventStream(url, async (jsm, stream) => {
    const { state } = await jsm.streams.info(stream);
    const events: CalendarEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++)
      events.push((await jsm.streams.getMessage(stream, { seq }))!.json<CalendarEvent>());
    return events;
  });
