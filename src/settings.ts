import { atLeast, type Finding, type Severity } from './findings.js';
import { RULES, type RuleId } from './analysis/rules.js';
import { InputError } from './manifests/files.js';
import { parsePlatform } from './registry/platforms.js';
import type { Platform } from './registry/types.js';

/**
 * Validation shared by the CLI and the action, so both refuse bad values with the same plain-English
 * message. Each parser names the setting it reads.
 */

export type FailOn = Severity | 'never';

/** The findings that fail the run at this threshold. */
export function failingFindings(findings: Finding[], failOn: FailOn): Finding[] {
  return failOn === 'never' ? [] : findings.filter((finding) => atLeast(finding.severity, failOn));
}

export type OutputFormat = 'text' | 'json' | 'sarif';

export const DEFAULTS = {
  failOn: 'error' as FailOn,
  format: 'text' as OutputFormat,
  defaultNamespace: 'default',
  maxFileSize: 10 * 1024 * 1024,
  defaultPlatform: 'linux/amd64',
  concurrency: 16,
  perRegistryConcurrency: 6,
  timeoutSeconds: 15,
};

export function oneOf<T extends string>(setting: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${setting} must be one of ${allowed.join(', ')}; got "${value}"`);
}

export function parseFailOn(setting: string, value: string): FailOn {
  return oneOf(setting, value, ['error', 'warning', 'notice', 'never'] as const);
}

/** A DNS-1123 label, as Kubernetes requires of namespace names. */
export function parseNamespace(setting: string, value: string): string {
  if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) return value;
  throw new InputError(
    `${setting} must be a Kubernetes namespace name (lowercase letters, digits and "-", at most 63); got "${value}"`,
  );
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
};

/** Bytes, or a number with KB/MB/GB (binary units): `10MB`, `512kb`, `1048576`. */
export function parseSize(setting: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(
      `${setting} must be a size such as 10MB, 512KB or a number of bytes; got "${value}"`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

export function parsePositiveInteger(setting: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (/^\d+$/.test(value.trim())) {
    const number = Number(value.trim());
    if (number >= 1 && number <= max) return number;
  }
  throw new InputError(`${setting} must be a whole number from 1 to ${max}; got "${value}"`);
}

/** Comma- or newline-separated list, as action inputs are usually written. */
export function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `linux/amd64`, `linux/arm/v7`: the platform of nodes when a pod does not say. */
export function parsePlatformSetting(setting: string, value: string): Platform {
  const platform = parsePlatform(value);
  if (platform) return platform;
  throw new InputError(
    `${setting} must be os/architecture[/variant], e.g. linux/amd64 or linux/arm/v7; got "${value}"`,
  );
}

/** Registry hosts (`host[:port]`, `*` globs allowed where noted), lower-cased. */
export function parseHostList(setting: string, value: string): string[] {
  const hosts = parseList(value).map((host) => host.toLowerCase());
  const bad = hosts.find((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9*?.-]+)(:\d{1,5})?$/.test(host));
  if (bad !== undefined) {
    throw new InputError(
      `${setting} must list registry hosts such as registry.example.com:5000; "${bad}" is not one`,
    );
  }
  return hosts;
}

export function parseSeconds(setting: string, value: string): number {
  const seconds = Number(value.trim());
  if (/^\d+(\.\d+)?$/.test(value.trim()) && seconds > 0 && seconds <= 600) return Math.round(seconds * 1000);
  throw new InputError(`${setting} must be a number of seconds from 1 to 600; got "${value}"`);
}

/** Rule IDs from the catalogue; an unknown one is a typo the user wants to hear about. */
export function parseRuleList(setting: string, value: string): string[] {
  const rules = parseList(value);
  const unknown = rules.find((rule) => !RULES.has(rule as RuleId));
  if (unknown !== undefined) {
    throw new InputError(
      `${setting} names an unknown rule "${unknown}"; the rules are listed in docs/rules.md`,
    );
  }
  return rules;
}
