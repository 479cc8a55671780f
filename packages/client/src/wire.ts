// What the service and its clients must agree on, word for word: the transport URL, the
// options both ends of a transport take, the message envelope, the problem shape and the event
// stream. The service imports them from here (`@consultant-calendar/client/wire`), so neither
// end can change them alone.
export type { Envelope, Principal } from './envelope';
export { ensureEventStream, eventStream, EventStreamPublisher } from './event-stream';
export type { FieldError, Problem } from './problem';
export { transportOptions } from './transport-options';
export {
  DEFAULT_PORTS,
  describeTarget,
  overTls,
  parseTransportUrl,
  type TransportTarget,
  transportUrlProblem,
  underNamespace,
  wirePattern,
} from './transport-url';
