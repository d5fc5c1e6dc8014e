import { readFile, stat } from 'node:fs/promises';
import { errorText } from './text.js';

/** What the event tells us about where its changes are. */
export type EventPlan =
  | { kind: 'pull'; number?: number; base?: string; head?: string; changedFiles?: number }
  | { kind: 'push'; before?: string; after?: string; created: boolean; deleted: boolean }
  | { kind: 'merge_group'; base?: string; head?: string }
  | { kind: 'other' };

export type PayloadResult = { ok: true; payload: unknown } | { ok: false; reason: string };

// Events whose payload carries the pull request with its base and head.
const PULL_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]);

// Real payloads are a few hundred KB at most; refuse anything absurd rather than buffer it.
const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

export async function readPayload(eventPath: string | undefined): Promise<PayloadResult> {
  if (!eventPath) return { ok: false, reason: 'GITHUB_EVENT_PATH is not set' };
  try {
    const info = await stat(eventPath);
    if (info.size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `${eventPath} is larger than 32 MiB` };
    return { ok: true, payload: JSON.parse(await readFile(eventPath, 'utf8')) as unknown };
  } catch (err) {
    return { ok: false, reason: `could not read ${eventPath}: ${errorText(err)}` };
  }
}

/** Events with nothing to compare never need their payload read. */
export function readsPayload(eventName: string): boolean {
  return PULL_EVENTS.has(eventName) || eventName === 'push' || eventName === 'merge_group';
}

export function planEvent(eventName: string, payload: unknown): EventPlan {
  if (PULL_EVENTS.has(eventName)) {
    const pr = field(payload, 'pull_request');
    return {
      kind: 'pull',
      number: positiveInt(field(pr, 'number')) ?? positiveInt(field(payload, 'number')),
      base: str(field(field(pr, 'base'), 'sha')),
      head: str(field(field(pr, 'head'), 'sha')),
      changedFiles: count(field(pr, 'changed_files')),
    };
  }
  if (eventName === 'push') {
    return {
      kind: 'push',
      before: str(field(payload, 'before')),
      after: str(field(payload, 'after')),
      created: field(payload, 'created') === true,
      deleted: field(payload, 'deleted') === true,
    };
  }
  if (eventName === 'merge_group') {
    const group = field(payload, 'merge_group');
    return { kind: 'merge_group', base: str(field(group, 'base_sha')), head: str(field(group, 'head_sha')) };
  }
  return { kind: 'other' };
}

/** A full commit SHA (SHA-1 or SHA-256). Anything else never reaches git's argument list. */
export function isSha(value: string | undefined): value is string {
  return value !== undefined && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);
}

/** GitHub sends 40 zeros as `before` when a push creates a ref and as `after` when it deletes one. */
export function isZeroSha(value: string | undefined): boolean {
  return value !== undefined && /^0+$/.test(value);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
