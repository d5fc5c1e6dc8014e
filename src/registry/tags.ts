import type { Authorization } from './fetcher.js';
import { errorCode } from './errors.js';
import { parseJson } from './media-types.js';
import { isFailure, type HttpResponse, type NetworkFailure, type Transport } from './transport.js';

/** A repository's tags, following `Link` pagination within bounds: pages, bytes, count, tag length. */

export type TagListing =
  | { tags: string[]; truncated: boolean }
  /** 404 NAME_UNKNOWN: distribution 2.x says MANIFEST_UNKNOWN for a missing repository; this tells. */
  | { repositoryUnknown: true }
  | { failure: string };

const TAGS_PAGE_SIZE = 1000;
/** Bounds on what a registry's tag list may cost us, whatever it sends. */
export const TAG_LIST_LIMITS = {
  /** Bytes of tag-list bodies read, all pages together. */
  bytes: 8 * 1024 * 1024,
  /** Tags kept. */
  tags: 20_000,
};
/** The distribution spec's tag grammar: at most 128 characters. Anything else is not a tag. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export async function listTags(
  transport: Transport,
  repository: string,
  auth: Authorization,
  maxPages: number,
  /** Sees every answer (for the pull quota). */
  record: (response: HttpResponse) => void,
): Promise<TagListing> {
  const headers: Record<string, string> = auth.header ? { authorization: auth.header } : {};
  const tags: string[] = [];
  let bytes = 0;
  let url: string | undefined = `${auth.ping.origin}/v2/${repository}/tags/list?n=${TAGS_PAGE_SIZE}`;
  for (let page = 0; url && page < maxPages; page++) {
    if (bytes >= TAG_LIST_LIMITS.bytes || tags.length >= TAG_LIST_LIMITS.tags) break;
    const response: HttpResponse | NetworkFailure = await transport.request('tags', url, {
      headers,
      insecureTls: auth.ping.insecureTls,
    });
    if (isFailure(response)) return { failure: response.failure };
    record(response);
    if (response.status === 404 && errorCode(response.body).code === 'NAME_UNKNOWN')
      return { repositoryUnknown: true };
    if (response.status !== 200) return { failure: `tags list answered ${response.status}` };
    bytes += response.body.length;
    const body = parseJson(response.body) as { tags?: unknown } | undefined;
    if (Array.isArray(body?.tags)) {
      for (const tag of body.tags) {
        if (tags.length >= TAG_LIST_LIMITS.tags) break;
        if (typeof tag === 'string' && TAG.test(tag)) tags.push(tag);
      }
    }
    url = nextPage(response.headers.link, url);
  }
  return { tags, truncated: url !== undefined || tags.length >= TAG_LIST_LIMITS.tags };
}

/** The `rel="next"` target of a Link header, only on the same origin. */
export function nextPage(link: string | undefined, current: string): string | undefined {
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!match) return undefined;
  const next = new URL(match[1]!, current);
  return next.origin === new URL(current).origin ? next.href : undefined;
}
