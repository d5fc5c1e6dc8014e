// Regenerates the inputs and outputs tables of README.md from action.yml (test/readme.test.ts keeps
// them equal): node scripts/readme-tables.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { load } from 'js-yaml';

const action = load(readFileSync('action.yml', 'utf8'));
const cell = (text) => String(text).replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
const inputs = [
  '| Input | Default | Description |',
  '|---|---|---|',
  ...Object.entries(action.inputs).map(
    ([name, input]) =>
      `| \`${name}\` | ${input.default === '' ? '' : `\`${cell(input.default)}\``} | ${cell(input.description)} |`,
  ),
].join('\n');
const outputs = [
  '| Output | Description |',
  '|---|---|',
  ...Object.entries(action.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`),
].join('\n');
let readme = readFileSync('README.md', 'utf8');
const replace = (marker, table) => {
  const pattern = new RegExp(`(<!-- ${marker}:start -->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  if (!pattern.test(readme)) throw new Error(`README.md has no ${marker} markers`);
  readme = readme.replace(pattern, `$1${table}\n$2`);
};
replace('inputs', inputs);
replace('outputs', outputs);
writeFileSync('README.md', readme);
