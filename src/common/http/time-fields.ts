import { instantToLocal, instantToLocalTime, isoFromEpochMs } from '../../scheduling';
import type { TimeFieldsDto } from './time-fields.dto';

/** Local fields derive from the instants in the consultant's current zone. */
export function timeFields(start: number, end: number, zone: string): TimeFieldsDto {
  const from = instantToLocal(start, zone);
  return {
    date: from.date,
    start_time: from.time,
    end_time: instantToLocalTime(end, zone),
    start: isoFromEpochMs(start),
    end: isoFromEpochMs(end),
  };
}
