import { parseYamlDocuments, type YamlNode } from '../../manifests/yaml-tree.js';

export interface HelmDocument {
  /** The `# Source:` path: the chart's name, then the template's path inside the chart. */
  source: string | undefined;
  text: string;
  root: YamlNode;
}

const SOURCE = /^# Source: (.+?)\s*$/m;

/**
 * Splits `helm template` output (`---\n# Source: chart/templates/x.yaml\n…` per object) into objects,
 * each with the template it came from. A chunk that does not parse is skipped: helm has rendered it,
 * so what it means is for the chart's own tests.
 */
export function splitHelmOutput(stdout: string): HelmDocument[] {
  const documents: HelmDocument[] = [];
  for (const chunk of stdout.split(/^---[ \t]*$/m)) {
    if (chunk.trim() === '') continue;
    const source = SOURCE.exec(chunk)?.[1];
    let parsed;
    try {
      parsed = parseYamlDocuments(chunk);
    } catch {
      continue;
    }
    for (const document of parsed)
      if (document.root) documents.push({ source, text: chunk, root: document.root });
  }
  return documents;
}
