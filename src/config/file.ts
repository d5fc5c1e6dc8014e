import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { PathSuppression } from '../analysis/suppress.js';
import type { ImagePathSpec } from '../manifests/custom-resources.js';
import { readRegularFile, reportPath } from '../manifests/files.js';
import { LineIndex } from '../manifests/positions.js';
import { yamlStream, type YamlMap, type YamlNode } from '../manifests/yaml-tree.js';
import {
  formatDuration,
  InputError,
  parseList,
  SETTINGS,
  settingSpecs,
  type RawSettings,
  type ScanExtras,
  type SettingName,
} from '../settings.js';
import { configPathProblem, linksOutOfRepository } from './paths.js';
import { CONFIG_FILE_NAMES, configSchema, configurableSettings } from './schema.js';
import { toJson, validate } from './validate.js';

/** What `.imagepull-preflight.yaml` says, validated; inputs and flags override its settings. */
export interface ConfigFile {
  /** As reported: relative to the working directory. */
  file: string;
  /** Settings as raw strings, the way an input would write them. */
  values: RawSettings;
  /** Where each setting is written, for the settings' own error messages: `file:line:column: name`. */
  labels: Partial<Record<SettingName, string>>;
  imagePaths: ImagePathSpec[];
  suppressions: PathSuppression[];
}

/** A config file is small; a larger one is a mistake (or hostile), not read. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads the config file: `explicit` (relative to `cwd`) when given, which must exist; else the first
 * of CONFIG_FILE_NAMES in `cwd`, if any. A file a pull request controls is read as manifests are: a
 * regular file inside the tree, bounded in size. Every mistake is an InputError naming file:line:column.
 */
export async function readConfigFile(cwd: string, explicit?: string): Promise<ConfigFile | undefined> {
  const candidates = explicit
    ? [path.resolve(cwd, explicit)]
    : CONFIG_FILE_NAMES.map((name) => path.join(cwd, name));
  for (const absolute of candidates) {
    const root = await realpath(explicit ? path.dirname(absolute) : cwd).catch(() => undefined);
    const read = root ? await readRegularFile(absolute, root, MAX_CONFIG_BYTES) : undefined;
    const file = reportPath(absolute, cwd);
    if (!read || (!read.ok && read.kind === 'unreadable' && /ENOENT/.test(read.message))) {
      if (explicit) throw new InputError(`config file ${file} does not exist`);
      continue;
    }
    if (!read.ok) throw new InputError(`config file ${file}: ${read.message}`);
    const config = parseConfig(file, read.bytes.toString('utf8'));
    await refuseLinksOut(config, cwd);
    return config;
  }
  return undefined;
}

/** The config file's scanned paths must not leave the repository through a symbolic link. */
async function refuseLinksOut(config: ConfigFile, cwd: string): Promise<void> {
  for (const [name, raw] of Object.entries(config.values) as Array<[SettingName, string]>) {
    const kind = SETTINGS[name].configFilePath;
    if (kind !== 'read') continue;
    for (const written of parseList(raw)) {
      if (await linksOutOfRepository(written, cwd))
        throw new InputError(
          `${config.labels[name]}: "${written}" leads outside the repository through a symbolic link; ${confinement(name)}`,
        );
    }
  }
}

/** Input and flag names, squashed, of the settings the config file may not hold. */
const REFUSED = new Map<string, SettingName>(
  settingSpecs().flatMap(([name, spec]) =>
    spec.notInConfigFile === undefined
      ? []
      : [name, spec.input, spec.flag].flatMap((key) => (key ? [[squash(key), name] as const] : [])),
  ),
);

function squash(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** `action input "kustomize-remote" or CLI flag --kustomize-remote`. */
function settableAs(name: SettingName): string {
  const { input, flag } = SETTINGS[name] as { input?: string; flag?: string };
  return [input && `action input "${input}"`, flag && `CLI flag --${flag}`].filter(Boolean).join(' or ');
}

function confinement(name: SettingName): string {
  return `paths in the config file must stay inside the repository (set ${settableAs(name)} in the workflow for another place)`;
}

/**
 * The key of a setting the config file may not hold (however it is spelled: `kustomizeRemote`,
 * `kustomize-remote`), with why. Merged-in keys (`<<:`) count too.
 */
function refusedKey(root: YamlMap): { key: YamlNode; message: string } | undefined {
  for (const { key } of [root, ...root.merges].flatMap((map) => map.entries)) {
    if (key.kind !== 'scalar') continue;
    const name = REFUSED.get(squash(key.value));
    if (name === undefined) continue;
    return {
      key,
      message: `${key.value} can only be set as ${settableAs(name)}: the config file comes from the pull request and ${SETTINGS[name].notInConfigFile!}`,
    };
  }
  return undefined;
}

/**
 * A time the file sets beyond its `configFileMax` (checked before the schema, so the message says why
 * rather than only the range). Values that do not parse are left to the schema and the parser.
 */
function tooLong(root: YamlMap): { key: YamlNode; message: string } | undefined {
  for (const { key, value } of root.entries) {
    if (key.kind !== 'scalar' || !(key.value in SETTINGS)) continue;
    const name = key.value as SettingName;
    const most = SETTINGS[name].configFileMax;
    const raw = rawString(toJson(value));
    if (most === undefined || raw === undefined) continue;
    let parsed: unknown;
    try {
      parsed = (SETTINGS[name].parse as (label: string, raw: string) => unknown)(name, raw);
    } catch {
      continue;
    }
    if (typeof parsed === 'number' && parsed > most)
      return {
        key: value,
        message: `${name} may be at most ${formatDuration(most)} in the config file, which comes from the pull request and must not hold the runner longer; set ${settableAs(name)} in the workflow for more`,
      };
  }
  return undefined;
}

/** The first path in a setting's value that is not confined to the repository (or chart), with where. */
function unconfinedPath(name: SettingName, value: YamlNode): { at: number; message: string } | undefined {
  const kind = SETTINGS[name].configFilePath;
  if (kind === undefined) return undefined;
  for (const item of value.kind === 'seq' ? value.items : [value]) {
    const raw = rawString(toJson(item)) ?? '';
    for (const written of parseList(raw)) {
      const problem = configPathProblem(kind, written);
      if (problem === undefined) continue;
      const rule =
        kind === 'chart'
          ? `${name} globs in the config file must name files inside each chart (set ${settableAs(name)} in the workflow for others)`
          : confinement(name);
      return { at: item.start, message: `${name}: ${problem}; ${rule}` };
    }
  }
  return undefined;
}

/** Parses and validates the text of a config file named `file`. */
export function parseConfig(file: string, text: string): ConfigFile {
  const lines = new LineIndex(text);
  const error = (offset: number, message: string) => {
    const { line, column } = lines.position(offset);
    return new InputError(`${file}:${line}:${column}: ${message}`);
  };
  const documents: YamlNode[] = [];
  for (const item of yamlStream(text)) {
    if ('error' in item)
      throw error(item.error.offset, `not valid YAML: ${item.error.message.split('\n')[0]}`);
    const duplicate = item.duplicates?.[0];
    if (duplicate) throw error(duplicate.offset, `"${duplicate.key}" is written twice`);
    if (item.root) documents.push(item.root);
  }
  if (documents.length > 1) throw error(documents[1]!.start, 'the config file must be one YAML document');
  const root = documents[0];
  const config: ConfigFile = { file, values: {}, labels: {}, imagePaths: [], suppressions: [] };
  if (root === undefined || toJson(root) === null) return config;
  if (root.kind !== 'map') throw error(root.start, 'the config file must be a mapping of settings');

  const refused = refusedKey(root as YamlMap) ?? tooLong(root as YamlMap);
  if (refused) throw error(refused.key.start, refused.message);

  // Types and keys first (a setting's own parser explains a malformed value best: no patterns here).
  const invalid = validate(root, configSchema(), '', { patterns: false });
  if (invalid) throw error(invalid.offset, invalid.message);

  const configurable = new Set<string>(configurableSettings());
  for (const { key, value } of (root as YamlMap).entries) {
    const name = key.kind === 'scalar' ? key.value : '';
    if (configurable.has(name)) {
      const setting = name as SettingName;
      const raw = rawString(toJson(value));
      if (raw === undefined) continue;
      const { line, column } = lines.position(value.start);
      const label = `${file}:${line}:${column}: ${name}`;
      // Parsed now, so a bad value is reported even where an input overrides it.
      (SETTINGS[setting].parse as (label: string, raw: string) => unknown)(label, raw);
      const unconfined = unconfinedPath(setting, value);
      if (unconfined) throw error(unconfined.at, unconfined.message);
      config.values[setting] = raw;
      config.labels[setting] = label;
    } else if (name === 'imagePaths') {
      config.imagePaths = toJson(value) as unknown as ImagePathSpec[];
    } else if (name === 'suppressions') {
      config.suppressions = (toJson(value) as Array<{ path: string; rules?: string[]; reason?: string }>).map(
        (entry) => ({ path: entry.path, rules: entry.rules ?? [], reason: entry.reason ?? '' }),
      );
    }
  }
  return config;
}

/** A typed YAML value as the input would write it; null (an empty value) is "not set". */
function rawString(value: ReturnType<typeof toJson>): string | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}

/** What the scan takes from the config file besides settings. */
export function configExtras(config: ConfigFile | undefined): ScanExtras {
  return config ? { imagePaths: config.imagePaths, pathSuppressions: config.suppressions } : {};
}
