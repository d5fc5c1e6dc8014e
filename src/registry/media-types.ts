import type { Platform } from './types.js';
import { isObject } from '../manifests/docker-config.js';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** What containerd's resolver sends: every manifest and index type it can pull. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  '*/*',
].join(', ');

export function isIndex(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerManifestList || mediaType === MEDIA_TYPES.ociIndex;
}

export function isImageManifest(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerManifest || mediaType === MEDIA_TYPES.ociManifest;
}

/** The media type of a manifest body: its Content-Type, else its own `mediaType`, else its shape. */
export function manifestMediaType(contentType: string | undefined, body: unknown): string | undefined {
  const header = contentType?.split(';')[0]!.trim();
  if (header && (isIndex(header) || isImageManifest(header))) return header;
  if (!isObject(body)) return header || undefined;
  if (typeof body.mediaType === 'string' && (isIndex(body.mediaType) || isImageManifest(body.mediaType))) {
    return body.mediaType;
  }
  if (Array.isArray(body.manifests)) return MEDIA_TYPES.ociIndex;
  if (isObject(body.config) && Array.isArray(body.layers)) return MEDIA_TYPES.ociManifest;
  return header || undefined;
}

export interface IndexEntry extends Platform {
  digest: string;
}

/** Index entries that name a platform (attestations and the like have none, or unknown/unknown). */
export function indexEntries(body: unknown): IndexEntry[] {
  if (!isObject(body) || !Array.isArray(body.manifests)) return [];
  return body.manifests.flatMap((entry): IndexEntry[] => {
    if (!isObject(entry) || typeof entry.digest !== 'string' || !isObject(entry.platform)) return [];
    const { os, architecture, variant } = entry.platform;
    if (typeof os !== 'string' || typeof architecture !== 'string') return [];
    return [
      {
        os,
        architecture,
        ...(typeof variant === 'string' && variant ? { variant } : {}),
        digest: entry.digest,
      },
    ];
  });
}

export function configDigest(body: unknown): string | undefined {
  return isObject(body) && isObject(body.config) && typeof body.config.digest === 'string'
    ? body.config.digest
    : undefined;
}

export function configPlatform(body: unknown): Platform | undefined {
  if (!isObject(body) || typeof body.os !== 'string' || typeof body.architecture !== 'string')
    return undefined;
  return {
    os: body.os,
    architecture: body.architecture,
    ...(typeof body.variant === 'string' && body.variant ? { variant: body.variant } : {}),
  };
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
