/**
 * Preloaded into the service (`node -r dist/bench/profile-hook.js dist/src/main.js`) so that
 * run.ts --profile can profile exactly the measured window, not start-up: each SIGUSR2
 * starts the V8 CPU profiler, the next one stops it and writes
 * BENCH_PROFILE_DIR/profile-<n>.cpuprofile and profile-<n>.memory.json (process.memoryUsage()
 * and V8 heap spaces at that moment).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  let session: Session | null = null;
  let count = 0;
  process.on('SIGUSR2', () => {
    if (!session) {
      const s = (session = new Session());
      s.connect();
      s.post('Profiler.enable', () =>
        s.post('Profiler.setSamplingInterval', { interval: 500 }, () => s.post('Profiler.start')),
      );
      return;
    }
    const s = session;
    session = null;
    s.post('Profiler.stop', (error, result) => {
      const n = count++;
      if (!error) writeFileSync(join(dir, `profile-${n}.cpuprofile`), JSON.stringify(result.profile));
      const heap = Object.fromEntries(
        getHeapSpaceStatistics().map((h) => [h.space_name, { size: h.space_size, used: h.space_used_size }]),
      );
      writeFileSync(
        join(dir, `profile-${n}.memory.json`),
        JSON.stringify({ memory: process.memoryUsage(), heap }, null, 2),
      );
      s.disconnect();
    });
  });
}
