import { instantToLocal } from '../../scheduling';

/** The local and UTC fields every slot, occurrence and booking carries in a response. */
export interface TimeFields {
  date: string;
  start_time: string;
  end_time: string;
  start: string;
  end: string;
}

/** Local fields derive from the instants in the consultant's current zone. */
export function timeFields(start: number, end: number, zone: string): TimeFields {
  const from = instantToLocal(start, zone);
  return { date: from.date, start_time: from.time, end_time: instantToLocal(end, zone).time, start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}
