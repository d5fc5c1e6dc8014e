import { RULES } from '../analysis/rules.js';
import { parseList, settingSpecs, type JsonSchema, type SettingName } from '../settings.js';

/**
 * The JSON Schema of `.imagepull-preflight.yaml`, made from the settings table: every configurable
 * setting (keyed by its name in the table, e.g. `failOn`), plus `imagePaths` and `suppressions`.
 * schema/imagepull-preflight.schema.json is this, written out (`npm run schema`; a test keeps them equal).
 */

export const CONFIG_FILE_NAMES = ['.imagepull-preflight.yaml', '.imagepull-preflight.yml'];
export const SCHEMA_FILE = 'schema/imagepull-preflight.schema.json';

export const IMAGE_PATH_SCHEMA: JsonSchema = {
  type: 'object',
  description:
    'Where a custom resource keeps an image, in kustomize fieldSpecs form; sequences on the path are walked item by item.',
  additionalProperties: false,
  required: ['kind', 'path'],
  properties: {
    group: { type: 'string', description: 'API group ("" for the core group); any group when absent.' },
    version: { type: 'string', description: 'API version, e.g. v1; any version when absent.' },
    kind: { type: 'string', minLength: 1, description: 'Kind, e.g. Runner.' },
    path: {
      type: 'string',
      minLength: 1,
      description: 'Slash-separated keys to the image, e.g. spec/template/image.',
    },
  },
};

export const SUPPRESSION_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Findings in these files are suppressed (counted and listed, never lost).',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description:
        'A file, a directory (everything below it) or a glob, relative to the repository root; * matches across /.',
    },
    rules: {
      type: 'array',
      items: { enum: [...RULES.keys()] },
      description: 'Rule IDs suppressed there; every rule when absent.',
    },
    reason: { type: 'string', description: 'Why: shown with each suppressed finding.' },
  },
};

/** The settings the config file may hold: not secrets, its own path, or what makes the runner fetch or trust. */
export function configurableSettings(): SettingName[] {
  return settingSpecs()
    .filter(([, spec]) => spec.notInConfigFile === undefined)
    .map(([name]) => name);
}

/** How the config file's paths are confined (src/config/paths.ts enforces it). */
const PATH_RULES = {
  read: 'In this file: relative paths inside the repository.',
  chart: 'In this file: globs inside each chart (no "..", not absolute).',
};

/** A setting's default as the config file writes it: `false`, `16`, `[]`, `10MB`. */
function typedDefault(schema: JsonSchema, raw: string): unknown {
  const types = schema.anyOf ? schema.anyOf.map((branch) => branch.type) : [schema.type];
  if (types.includes('boolean')) return raw === 'true';
  if ((types.includes('integer') || types.includes('number')) && /^\d+(\.\d+)?$/.test(raw))
    return Number(raw);
  if (types.includes('array')) return parseList(raw);
  return raw;
}

export function configSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    $schema: { type: 'string', description: 'The schema this file follows, for editors.' },
  };
  for (const [name, spec] of settingSpecs()) {
    if (spec.notInConfigFile !== undefined) continue;
    const where = [spec.input && `input ${spec.input}`, spec.flag && `--${spec.flag}`]
      .filter(Boolean)
      .join(', ');
    properties[name] = {
      ...spec.schema,
      description: `${spec.description}${spec.configFilePath ? ` ${PATH_RULES[spec.configFilePath]}` : ''} (Overridden by ${where}.)`,
      default: typedDefault(spec.schema, spec.default),
    };
  }
  properties.imagePaths = {
    type: 'array',
    items: IMAGE_PATH_SCHEMA,
    description: 'Image locations in custom resources the built-in list does not know.',
  };
  properties.suppressions = {
    type: 'array',
    items: SUPPRESSION_SCHEMA,
    description: 'Per-path suppressions.',
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/imagepull-preflight/imagepull-preflight/blob/main/schema/imagepull-preflight.schema.json',
    title: 'imagepull-preflight repository config (.imagepull-preflight.yaml)',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}
