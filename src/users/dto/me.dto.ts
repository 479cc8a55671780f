export class MeDto {
  /** Whose token this is. @example "consultant" */
  role: 'admin' | 'consultant' | 'user';
  /** The consultant's or user's id; absent for the admin. @example 1 */
  id?: number;
  /** The consultant's or user's given name; absent for the admin. @example "John" */
  first_name?: string;
  /** The consultant's or user's family name; absent for the admin. @example "Doe" */
  last_name?: string;
}
