export class MeDto {
  /** @example "consultant" */
  role: 'admin' | 'consultant' | 'user';
  /** The consultant's or user's id; absent for the admin. @example 1 */
  id?: number;
  /** @example "John" */
  first_name?: string;
  /** @example "Doe" */
  last_name?: string;
}
