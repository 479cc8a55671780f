import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 22: a delivery attempt's `error` is one word (`AttemptError`), never the errno text,
 * host or address it used to keep ("EFORBIDDENTARGET: inside.example is 10.0.0.5, …",
 * "ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:22"). Attempts stored before say it in words too,
 * or GET /webhooks/{id}/deliveries would go on showing them until they are purged.
 */
export class AttemptErrorWords1796200000000 implements MigrationInterface {
  name = 'AttemptErrorWords1796200000000';

  async up(q: QueryRunner): Promise<void> {
    const word = String.raw`CASE
        WHEN e ~ '^(timeout|refused-target|unresolved-target|connection-failed|tls-failed|no-answer|http-\d+)$' THEN e
        WHEN e ~ '^answered \d+$' THEN 'http-' || substring(e FROM '\d+')
        WHEN e LIKE 'no answer within %' THEN 'timeout'
        WHEN e ~ '^EFORBIDDENTARGET: .* resolves to no address$' OR e ~ '^(ENOTFOUND|EAI_)' THEN 'unresolved-target'
        WHEN e LIKE 'EFORBIDDENTARGET:%' THEN 'refused-target'
        WHEN e ~ '^(EPROTO|ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)' THEN 'tls-failed'
        ELSE 'connection-failed' END`;
    await q.query(
      `UPDATE "webhook_deliveries" d
          SET "attempts" = (SELECT jsonb_agg(CASE WHEN e IS NULL THEN a ELSE jsonb_set(a, '{error}', to_jsonb(${word})) END ORDER BY n)
                              FROM jsonb_array_elements(d."attempts") WITH ORDINALITY AS t(a, n), LATERAL (SELECT a->>'error' AS e) x)
        WHERE jsonb_path_exists(d."attempts", '$[*] ? (@.error != null)')`,
    );
  }

  async down(): Promise<void> {
    // The texts are gone, and the words are what the code now writes: nothing to undo.
  }
}
