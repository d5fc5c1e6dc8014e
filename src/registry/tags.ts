import type { Authorization } from './fetcher.js';
import { errorCode } from './errors.js';
import { parseJson } from './media-types.js';
import { isFailure, type HttpResponse, type NetworkFailure, type Transport } from './transport.js';

/** A repository's tags, following `Link` pagination within bounds. */

export type TagListing =
  | { tags: string[]; truncated: boolean }
  /** 404 NAME_UNKNOWN: distribution 2.x says MANIFEST_UNKNOWN for a missing repository; this tells. */
  | { repositoryUnknown: true }
  | { failure: string };

const TAGS_PAGE_SIZE = 1000;

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
  let url: string | undefined = `${auth.ping.origin}/v2/${repository}/tags/list?n=${TAGS_PAGE_SIZE}`;
  for (let page = 0; url && page < maxPages; page++) {
    const response: HttpResponse | NetworkFailure = await transport.request('tags', url, {
      headers,
      insecureTls: auth.ping.insecureTls,
    });
    if (isFailure(response)) return { failure: response.failure };
    record(response);
    if (response.status === 404 && errorCode(response.body).code === 'NAME_UNKNOWN')
      return { repositoryUnknown: true };
    if (response.status !== 200) return { failure: `tags list answered ${response.status}` };
    const body = parseJson(response.body) as { tags?: unknown } | undefined;
    if (Array.isArray(body?.tags))
      tags.push(...body.tags.filter((tag): tag is string => typeof tag === 'string'));
    url = nextPage(response.headers.link, url);
  }
  return { tags, truncated: url !== undefined };
}

/** The `rel="next"` target of a Link header, only on the same origin. */
export function nextPage(link: string | undefined, current: string): string | undefined {
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  if (!match) return undefined;
  const next = new URL(match[1]!, current);
  return next.origin === new URL(current).origin ? next.href : undefined;
}
