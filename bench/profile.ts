// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, heaviest first.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** The first .cpuprofile in `dir`, as self time per function (`name file:line`). */
export async function topSelfTimes(dir: string, limit = 10): Promise<SelfTime[]> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return [];
  const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    all += delta;
    const key = label(byId.get(id));
    totals.set(key, (totals.get(key) ?? 0) + delta);
  });
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / all) * 1000) / 10 }));
}

function label(node: ProfileNode | undefined): string {
  if (!node) return '(unknown)';
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName || '(anonymous)';
  const short = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|\.tmp\/build)\//, '$1/');
  return `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
}
