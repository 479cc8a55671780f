/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: per package
 * (self time and time with it anywhere on the stack) and the hottest functions.
 *
 *   node dist/bench/profile-summary.js bench/out/profiles/create/CPU.….cpuprofile
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package, app folder or runtime part a frame belongs to. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + 14).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  if (src) return `app ${src[1]}/${src[2].split('/')[0]}`;
  return url;
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const idle = [...self]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
    .reduce((s, [, t]) => s + t, 0);
  const busy = total - idle;

  const categorySelf = new Map<string, number>();
  const categoryInclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, time] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const category = categoryOf(node.callFrame);
    categorySelf.set(category, (categorySelf.get(category) ?? 0) + time);
    const name = `${node.callFrame.functionName || '(anonymous)'} — ${category}${node.callFrame.url ? ':' + (node.callFrame.lineNumber + 1) : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const c = categoryOf(byId.get(at)!.callFrame);
      if (c === '(root)' || seen.has(c)) continue;
      seen.add(c);
      categoryInclusive.set(c, (categoryInclusive.get(c) ?? 0) + time);
    }
  }
  const pct = (t: number) => ((100 * t) / busy).toFixed(1);
  const lines = [
    `${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}% of the main thread); shares below are of busy time.`,
    '',
    '| where | self % | on the stack % |',
    '|---|---:|---:|',
    ...[...categoryInclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([c, t]) => `| ${c} | ${pct(categorySelf.get(c) ?? 0)} | ${pct(t)} |`),
    '',
    '| hottest functions (self) | % |',
    '|---|---:|',
    ...[...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, t]) => `| ${f.replace(/\|/g, '\\|')} | ${pct(t)} |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) console.log(`## ${file}\n\n${summarizeProfile(file)}\n`);
}
