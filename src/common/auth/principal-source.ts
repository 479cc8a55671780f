/**
 * Where the guard finds the account a token belongs to, by the token's digest: the consultants
 * and users modules each provide one under their role's token (PRINCIPAL_SOURCES), so `common/`
 * depends on no feature module.
 */
export interface PrincipalSource {
  /** The id of the account whose token has this SHA-256 digest, or null. */
  idByTokenHash(hash: string): Promise<number | null>;
}

export const PRINCIPAL_SOURCES = {
  consultant: Symbol('PrincipalSource:consultant'),
  user: Symbol('PrincipalSource:user'),
} as const;
