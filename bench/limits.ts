// YAML limits with every alias budget lifted (depth kept), for timing a corpus the defaults refuse.
import { DEFAULT_YAML_LIMITS, type YamlLimits } from '../src/manifests/yaml-tree.js';

/** Field by field, so it follows whatever budgets the limits type has. */
export function liftedLimits(): YamlLimits {
  const lifted = Object.entries(DEFAULT_YAML_LIMITS).map(([key, value]) => [
    key,
    key === 'maxDepth' ? value : Number.MAX_SAFE_INTEGER,
  ]);
  return Object.fromEntries(lifted) as unknown as YamlLimits;
}
