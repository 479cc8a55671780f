import {
  type Interval,
  InvalidLocalWindowError,
  localWindowToInterval,
  NonexistentLocalTimeError,
} from '../../scheduling';
import { badRequest } from '../errors';

/**
 * A consultant-local window (a one-time slot, or a booking given in local time) as instants.
 * A local time the zone skips is refused with a 400 naming the field, never silently moved.
 */
export function localWindowOrBadRequest(
  window: { date: string; start_time: string; end_time: string },
  zone: string,
): Interval {
  try {
    return localWindowToInterval(window.date, window.start_time, window.end_time, zone, 'reject');
  } catch (error) {
    if (error instanceof NonexistentLocalTimeError) {
      const field = error.time === window.start_time ? 'start_time' : 'end_time';
      throw badRequest(error.message, [
        { field, message: `does not exist on ${error.date} in ${zone} (daylight-saving gap)` },
      ]);
    }
    if (error instanceof InvalidLocalWindowError)
      throw badRequest(error.message, [{ field: 'end_time', message: 'must differ from start_time' }]);
    throw error;
  }
}
