// Child process for §3: reads a corpus directory and runs only our extraction over it, file by file
// (`extract`) or as one joined text (`extract-one`); `read` only reads. Prints its peak RSS
// (process.resourceUsage().maxRSS), so the parent's heap does not count.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyManifestSet, extractFromText, type ExtractOptions } from '../src/manifests/extract.js';
import { liftedLimits } from './limits.js';

const [dir, mode = 'extract', limits = 'default'] = process.argv.slice(2);
const MODES = ['extract', 'extract-one', 'read'];
if (!dir || !MODES.includes(mode)) {
  console.error(`usage: extract-child.js <corpus-dir> ${MODES.join('|')} [default|lifted]`);
  process.exit(2);
}
const names = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
const options: ExtractOptions = {
  defaultNamespace: 'default',
  ...(limits === 'lifted' ? { limits: liftedLimits() } : {}),
};
const set = emptyManifestSet();
const started = performance.now();
let bytes = 0;
const texts: string[] = [];
for (const name of names) {
  const text = await readFile(path.join(dir, name), 'utf8');
  bytes += text.length;
  if (mode === 'extract') extractFromText(name, text, options, set);
  if (mode === 'extract-one') texts.push(text);
}
if (mode === 'extract-one') extractFromText('corpus.yaml', texts.join('---\n'), options, set);
const ms = performance.now() - started;
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    mode,
    limits,
    files: names.length,
    bytes,
    images: set.images.length,
    problems: set.problems.length,
    ms,
    maxRssKb: usage.maxRSS,
  }),
);
