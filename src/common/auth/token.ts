import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Role = 'admin' | 'consultant' | 'user';

/** Tokens name their role in the prefix so a lookup touches one table only. */
const PREFIX: Record<Role, string> = { admin: 'cc_a_', consultant: 'cc_c_', user: 'cc_u_' };

/** 256 random bits: a plain SHA-256 of the token is then a safe, indexable verifier. */
export const generateToken = (role: Role): string => PREFIX[role] + randomBytes(32).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function roleOfToken(token: string): Role | null {
  for (const [role, prefix] of Object.entries(PREFIX) as [Role, string][]) if (token.startsWith(prefix)) return role;
  return null;
}

/** Constant-time comparison of two hex digests of equal length. */
export const sameHash = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
