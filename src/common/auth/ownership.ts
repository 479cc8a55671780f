import { forbidden } from '../errors';
import type { Principal } from './principal';

/** May this caller change the consultant's own resources (slots, rules, profile)? */
export const actsForConsultant = (principal: Principal | undefined, consultantId: number): boolean =>
  principal?.role === 'admin' || (principal?.role === 'consultant' && principal.id === consultantId);

/** Can this caller see a booking between `userId` and `consultantId`? */
export const isPartyTo = (
  principal: Principal | undefined,
  booking: { userId: number; consultantId: number },
): boolean =>
  principal?.role === 'admin' ||
  (principal?.role === 'user' && principal.id === booking.userId) ||
  (principal?.role === 'consultant' && principal.id === booking.consultantId);

export function assertActsForConsultant(principal: Principal | undefined, consultantId: number): void {
  if (!actsForConsultant(principal, consultantId)) throw forbidden('Only this consultant or the admin may do that.');
}
