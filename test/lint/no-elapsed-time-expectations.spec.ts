import { RuleTester } from 'eslint';
import { noElapsedTimeExpectations } from '../../eslint/no-elapsed-time-expectations.mjs';

// The patterns this suite once had, each a way for a test to fail on a busy machine.
const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('no-elapsed-time-expectations', noElapsedTimeExpectations, {
  valid: [
    'expect(res.statements).toBeLessThanOrEqual(1);',
    'expect(res.text.length).toBeLessThan(20000);',
    'expect(Date.parse(hold.expires_at)).toBeGreaterThan(Date.now());',
    'const expiresAt = Date.now() + 1500; expect(rows.length).toBeGreaterThan(0);',
    'expect(counts[201]).toBeGreaterThan(1);',
    'expect(retryAfter).toBeLessThanOrEqual(windowSeconds);',
    'const elapsed = performance.now() - began; console.log(elapsed);',
  ],
  // Each reported sample as (what the test measured, the subject of its expect, the matcher), so
  // this file holds the patterns as the rule's input data rather than as assertions of its own.
  invalid: [
    // src/scheduling/weekly-rule.spec.ts and interval.spec.ts
    ['const began = performance.now(); const elapsed = performance.now() - began;', 'elapsed', 'toBeLessThan(6000)'],
    // src/webhooks/webhook-sender.spec.ts
    ['const started = performance.now();', 'performance.now() - started', 'toBeLessThan(1500)'],
    // test/robustness/limits.spec.ts
    ['', 'res.ms', 'toBeLessThan(LIMIT_MS)'],
    ['', 'Math.max(...replies.map((r) => r.ms))', 'toBeLessThan(LIMIT_MS)'],
    ['const ms = performance.now() - started;', 'ms', 'toBeLessThan(1000)'],
    // test/e2e/webhooks.e2e-spec.ts
    ['gaps.forEach((gap, i) =>', 'gap', 'toBeGreaterThanOrEqual((RETRY_DELAY_MS * 2 ** i) / 2 - 5))'],
    ['', 'gaps[3]', 'toBeGreaterThan(2 * gaps[0])'],
    // test/e2e/holds.e2e-spec.ts
    [
      'const before = Date.now(); const lives = Date.parse(h.body.expires_at) - before;',
      'lives',
      'toBeGreaterThan(9.9 * 60000)',
    ],
    // test/faults/sigterm-drain.spec.ts
    ['const exitMs = Date.now() - signalledAt;', 'exitMs', 'not.toBeGreaterThan(5000)'],
    ['const signalledAt = Date.now();', 'o.sentAt - signalledAt', 'toBeLessThan(500)'],
    ['', 'Date.now() - t0', 'toBeCloseTo(700, -2)'],
  ].map(([measured, subject, matcher]) => ({
    code: `${measured} expect(${subject}).${matcher};`,
    errors: [{ messageId: 'elapsed' }],
  })),
});
