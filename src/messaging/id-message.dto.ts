import { IsInt, Max, Min } from 'class-validator';

const MAX_ID = 2_147_483_647;

/** A message naming one record, as a route names it in its path. */
export class IdMessage {
  /** @example 1 */
  @Max(MAX_ID)
  @Min(1)
  @IsInt()
  id: number;
}
