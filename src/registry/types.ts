/**
 * The registry stage's contract: what the analysis asks and the outcomes it gets back. Every
 * outcome is data; the client never throws for anything a registry or the network does.
 */

import type { BasicCredential } from '../credentials/types.js';

export type { BasicCredential };

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ManifestProbe {
  /** Registry domain as normalised by the reference parser (`docker.io`, `localhost:5000`). */
  domain: string;
  /** Host the API lives on (`registry-1.docker.io` for `docker.io`). */
  apiHost: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  credential?: BasicCredential;
  /**
   * Platforms the pod may run on. When the manifest turns out to be an index / manifest list, its
   * body is fetched and each platform is matched with containerd's rules. Empty: no body fetch.
   */
  platforms: Platform[];
  /**
   * For a single-platform manifest, read its config blob to learn its architecture (two more
   * requests, so only when the pod's platform is explicit).
   */
  inspectConfig?: boolean;
}

export interface PlatformMatch {
  wanted: Platform;
  /** The index entry containerd would pick, or undefined: "no match for platform in manifest". */
  matched?: Platform & { digest: string };
  /**
   * Whether the registry still has the matched child manifest, which containerd GETs next (a HEAD
   * tells): `missing` fails the pull with "not found" although the index exists.
   */
  child?: ChildManifestStatus;
}

/** A HEAD of an index's child manifest: there, gone (404), or unknown (why). */
export type ChildManifestStatus = 'present' | 'missing' | { unknown: string };

export type ProbeOutcome =
  | {
      kind: 'exists';
      digest?: string;
      mediaType: string;
      /** For an index: every platform it lists and the match for each wanted platform. */
      index?: { available: Platform[]; matches: PlatformMatch[] };
      /** For a single-platform manifest whose config was read: the platform it is built for. */
      imagePlatform?: Platform;
      /** Why the config could not be read when it was asked for: the platform check was not done. */
      imagePlatformUnknown?: string;
    }
  /** 404 MANIFEST_UNKNOWN (tag or digest absent from an existing repository). */
  | { kind: 'manifest-unknown' }
  /** 404 NAME_UNKNOWN (repository absent). */
  | { kind: 'name-unknown' }
  /**
   * 401: anonymous pull refused or credentials rejected. `ambiguous`: the registry (Docker Hub
   * style) answers 401 both for a missing repository and for a private one.
   */
  | { kind: 'unauthorized'; withCredential: boolean; ambiguous: boolean; detail?: string }
  | { kind: 'denied'; detail?: string }
  | { kind: 'rate-limited'; retryAfterSeconds?: number; limit?: string; remaining?: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'server-error'; status: number; reason: string }
  /** A security guard refused to continue (token realm on a metadata address, …). */
  | { kind: 'refused'; reason: string };

/** Every outcome but success: what the authorizer and the error mapping return. */
export type ProbeFailure = Exclude<ProbeOutcome, { kind: 'exists' }>;

/** Docker Hub style pull quota, read from the `ratelimit-*` headers. */
export interface RateLimitInfo {
  limit: string;
  remaining: string;
}
