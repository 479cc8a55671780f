/** The local and UTC times every slot, occurrence and booking carries (see timeFields()). */
export class TimeFieldsDto {
  /** Consultant-local date of the start. @example "2030-12-02" */
  date: string;
  /** Consultant-local wall-clock start. @example "09:00:00" */
  start_time: string;
  /** Consultant-local wall-clock end; earlier than start_time when it crosses midnight. @example "09:30:00" */
  end_time: string;
  /** The start, in UTC. @example "2030-12-02T08:00:00.000Z" */
  start: string;
  /** The end, in UTC. @example "2030-12-02T08:30:00.000Z" */
  end: string;
}
