import type { YamlNode } from '../manifests/yaml-tree.js';
import type { JsonSchema } from '../settings.js';

/**
 * A validator for the subset of JSON Schema the config file's schema uses (the keywords of
 * `JsonSchema`), run on the YAML tree so every error knows where it is written. test/config checks it
 * against ajv on the shipped schema. YAML scalars are typed as YAML 1.2's core schema types them.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface SchemaError {
  /** Offset of the node (or key) the error is about. */
  offset: number;
  /** `maxFileSize`, `imagePaths[1].kind`: where in the document. */
  at: string;
  message: string;
}

/** The keywords `validate` understands; a schema using another would be checked by editors only. */
export const SUPPORTED_KEYWORDS = new Set([
  'type',
  'enum',
  'anyOf',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'pattern',
  'description',
  'default',
  'title',
  '$schema',
  '$id',
]);

/** YAML 1.2 core schema: how a plain scalar reads. Quoted and tagged scalars are strings. */
export function scalarValue(node: Extract<YamlNode, { kind: 'scalar' }>): JsonValue {
  if (!node.plain) return node.value;
  const value = node.value;
  if (/^(null|Null|NULL|~)?$/.test(value)) return null;
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^[-+]?[0-9]+$/.test(value)) return Number(value);
  if (/^0o[0-7]+$/.test(value)) return parseInt(value.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(value)) return parseInt(value.slice(2), 16);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(value)) return Number(value);
  return value;
}

/** The plain value of a node (merge keys applied), as a JSON document would hold it. */
export function toJson(node: YamlNode | undefined): JsonValue {
  if (!node) return null;
  if (node.kind === 'scalar') return scalarValue(node);
  if (node.kind === 'seq') return node.items.map(toJson);
  const result: { [key: string]: JsonValue } = {};
  for (const merged of [...node.merges].reverse()) Object.assign(result, toJson(merged));
  for (const { key, value } of node.entries) if (key.kind === 'scalar') result[key.value] = toJson(value);
  return result;
}

function typeOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  array: 'a list',
  object: 'a mapping',
  null: 'empty',
};

/** What a schema asks for, in plain English: "a list of strings or a string". */
export function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(describeSchema).join(' or ');
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  const word = TYPE_WORDS[schema.type ?? ''] ?? 'a value';
  if (schema.type === 'array' && schema.items)
    return `a list of ${describeSchema(schema.items).replace(/^an? /, '')}s`;
  const low =
    schema.minimum ??
    (schema.exclusiveMinimum !== undefined ? `more than ${schema.exclusiveMinimum}` : undefined);
  if (
    (schema.type === 'integer' || schema.type === 'number') &&
    (low !== undefined || schema.maximum !== undefined)
  ) {
    if (schema.minimum !== undefined && schema.maximum !== undefined)
      return `${word} from ${schema.minimum} to ${schema.maximum}`;
    return `${word}${schema.exclusiveMinimum !== undefined ? ` above ${schema.exclusiveMinimum}` : ''}${schema.maximum !== undefined ? ` up to ${schema.maximum}` : ''}`;
  }
  return word;
}

export interface ValidateOptions {
  /** Skip `pattern`: the setting's own parser explains a malformed string better. */
  patterns?: boolean;
}

/** The first place where `node` breaks `schema`, or undefined when it conforms. */
export function validate(
  node: YamlNode | undefined,
  schema: JsonSchema,
  at: string,
  options: ValidateOptions = {},
): SchemaError | undefined {
  const offset = node?.start ?? 0;
  const fail = (message: string): SchemaError => ({ offset, at, message });
  if (schema.anyOf) {
    const branches = schema.anyOf.map((branch) => validate(node, branch, at, options));
    if (branches.some((error) => error === undefined)) return undefined;
    // One branch has the right type: its error is the precise one.
    const typed = schema.anyOf.findIndex((branch) => branch.type === typeOf(toJson(node)));
    return typed === -1 ? fail(`${at} must be ${describeSchema(schema)}`) : branches[typed];
  }
  const value = toJson(node);
  const type = typeOf(value);
  if (schema.enum && !(typeof value === 'string' && schema.enum.includes(value))) {
    return fail(`${at} must be ${describeSchema(schema)}; got ${JSON.stringify(value)}`);
  }
  if (schema.type && schema.type !== type && !(schema.type === 'number' && type === 'integer')) {
    return fail(`${at} must be ${describeSchema(schema)}; got ${describeValue(value)}`);
  }
  if (typeof value === 'number') {
    const outside =
      (schema.minimum !== undefined && value < schema.minimum) ||
      (schema.maximum !== undefined && value > schema.maximum) ||
      (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum);
    if (outside) return fail(`${at} must be ${describeSchema(schema)}; got ${value}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      return fail(`${at} must not be empty`);
    if (
      options.patterns !== false &&
      schema.pattern !== undefined &&
      !new RegExp(schema.pattern, 'u').test(value)
    )
      return fail(`${at} must match ${schema.pattern}; got ${JSON.stringify(value)}`);
  }
  if (node?.kind === 'seq' && schema.items) {
    for (const [index, item] of node.items.entries()) {
      const error = validate(item, schema.items, `${at}[${index}]`, options);
      if (error) return error;
    }
  }
  if (node?.kind === 'map' && schema.type === 'object') return validateMap(node, schema, at, options);
  return undefined;
}

function validateMap(
  node: Extract<YamlNode, { kind: 'map' }>,
  schema: JsonSchema,
  at: string,
  options: ValidateOptions,
): SchemaError | undefined {
  const properties = schema.properties ?? {};
  const prefix = at === '' ? '' : `${at}.`;
  const seen = new Set<string>();
  for (const { key, value } of node.entries) {
    const name = key.kind === 'scalar' ? key.value : '';
    seen.add(name);
    const property = properties[name];
    if (!property) {
      if (schema.additionalProperties === false)
        return {
          offset: key.start,
          at: `${prefix}${name}`,
          message: unknownKey(name, Object.keys(properties), at),
        };
      continue;
    }
    const error = validate(value, property, `${prefix}${name}`, options);
    if (error) return error;
  }
  const missing = (schema.required ?? []).find((name) => !seen.has(name));
  if (missing !== undefined)
    return { offset: node.start, at, message: `${at || 'the file'} needs ${missing}` };
  return undefined;
}

/** `fail-on` or `failon` for `failOn`: a key written the way the action's inputs are. */
function unknownKey(name: string, known: string[], at: string): string {
  const squash = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  const like = known.find((candidate) => squash(candidate) === squash(name));
  const where = at === '' ? '' : ` in ${at}`;
  return `unknown key "${name}"${where}${like ? `; did you mean "${like}"?` : `; the keys are ${known.filter((key) => key !== '$schema').join(', ')}`}`;
}

function describeValue(value: JsonValue): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
