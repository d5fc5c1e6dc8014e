import type { Severity } from './findings.js';
import { InputError } from './manifests/files.js';

/**
 * Validation shared by the CLI and the action, so both refuse bad values with the same plain-English
 * message. Each parser names the setting it reads.
 */

export type FailOn = Severity | 'never';
export type OutputFormat = 'text' | 'json';

export const DEFAULTS = {
  failOn: 'error' as FailOn,
  format: 'text' as OutputFormat,
  defaultNamespace: 'default',
  maxFileSize: 10 * 1024 * 1024,
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

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** Bytes, or a number with KB/MB/GB (binary units): `10MB`, `512kb`, `1048576`. */
export function parseSize(setting: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(`${setting} must be a size such as 10MB, 512KB or a number of bytes; got "${value}"`);
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
