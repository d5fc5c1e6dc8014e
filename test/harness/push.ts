// Pushes tiny synthetic images through the distribution HTTP API, so tests need no docker daemon.
// Layer bytes are derived from repo/tag/platform: the structure and digests are stable for a given input.
import { createHash } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Anything with a base URL; `caPem` when the registry uses a private CA (the `tls` lab registry). */
export interface PushTarget {
  url: string;
  caPem?: string;
}

export type ImageFormat = 'docker' | 'oci';

export interface PushImageOptions {
  platform?: Platform;
  format?: ImageFormat;
}

export interface PushedImage {
  digest: string;
  configDigest: string;
  mediaType: string;
}

export interface PushedIndex {
  digest: string;
  mediaType: string;
  children: { platform: Platform; digest: string }[];
}

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

const ALL_MANIFEST_TYPES = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Pushes one single-platform image (one layer, one config) and tags it. */
export async function pushImage(
  reg: PushTarget,
  auth: Credentials | undefined,
  repo: string,
  tag: string,
  opts: PushImageOptions = {},
): Promise<PushedImage> {
  return withSession(reg, auth, repo, (s) => pushImageWith(s, tag, `${repo}:${tag}`, opts));
}

/** Pushes one image per platform (by digest only), then an OCI index or Docker manifest list under `tag`. */
export async function pushIndex(
  reg: PushTarget,
  auth: Credentials | undefined,
  repo: string,
  tag: string,
  platforms: readonly Platform[],
  format: ImageFormat,
): Promise<PushedIndex> {
  return withSession(reg, auth, repo, async (s) => {
    const children: PushedIndex['children'] = [];
    for (const platform of platforms) {
      const seed = `${repo}:${tag}@${platformString(platform)}`;
      const image = await pushImageWith(s, undefined, seed, { platform, format });
      children.push({ platform, digest: image.digest });
    }
    const manifests = await Promise.all(
      children.map(async (c) => ({ ...(await s.describeManifest(c.digest)), platform: c.platform })),
    );
    const mediaType = format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList;
    const digest = await s.putManifest(tag, mediaType, { schemaVersion: 2, mediaType, manifests });
    return { digest, mediaType, children };
  });
}

/**
 * Deletes a manifest by digest (the registry runs with `storage.delete.enabled`), as lifecycle rules
 * that expire untagged manifests do: an index listing it stays, its child is gone.
 */
export async function deleteManifest(
  reg: PushTarget,
  auth: Credentials | undefined,
  repo: string,
  digest: string,
): Promise<void> {
  await withSession(reg, auth, repo, (s) => s.deleteManifest(digest));
}

/**
 * Re-PUTs the manifest found at `fromRef` (tag or digest) under `toTag`; returns its digest. Several tags
 * may be given: they are PUT one after another, because the registry rewrites the manifest's revision
 * link on every PUT and a concurrent GET by digest can then read a half-written link (HTTP 500).
 */
export async function tagExisting(
  reg: PushTarget,
  auth: Credentials | undefined,
  repo: string,
  fromRef: string,
  toTag: string | readonly string[],
): Promise<string> {
  return withSession(reg, auth, repo, async (s) => {
    const { body, mediaType } = await s.getManifest(fromRef);
    let digest = sha256(body);
    for (const tag of typeof toTag === 'string' ? [toTag] : toTag) {
      digest = await s.putManifestBytes(tag, mediaType, body);
    }
    return digest;
  });
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function pushImageWith(
  s: Session,
  tag: string | undefined,
  seed: string,
  opts: PushImageOptions,
): Promise<PushedImage> {
  const platform = opts.platform ?? DEFAULT_PLATFORM;
  const format = opts.format ?? 'docker';
  const oci = format === 'oci';
  // Uncompressed-looking layer so diff_id == digest; the registry never inspects layer content.
  const layer = Buffer.from(`imagepull-preflight lab layer ${seed} ${platformString(platform)} ${format}\n`);
  const layerDigest = await s.pushBlob(layer);
  const config = Buffer.from(JSON.stringify(imageConfig(platform, layerDigest)));
  const configDigest = await s.pushBlob(config);
  const mediaType = oci ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: descriptor(oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, config, configDigest),
    layers: [descriptor(oci ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.dockerLayer, layer, layerDigest)],
  };
  const digest = await s.putManifest(tag ?? sha256(JSON.stringify(manifest)), mediaType, manifest);
  return { digest, configDigest, mediaType };
}

function imageConfig(p: Platform, layerDigest: string): object {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
    config: {},
  };
}

function descriptor(mediaType: string, data: Buffer, digest: string): object {
  return { mediaType, size: data.length, digest };
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="x",service="y"` → scheme + params (first challenge only; registries send one). */
export function parseChallenge(header: string): Challenge {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([A-Za-z_]+)="([^"]*)"/g)) {
    if (m[1] !== undefined) params[m[1].toLowerCase()] = m[2] ?? '';
  }
  return { scheme, params };
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  expect: number[];
}

interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function withSession<T>(
  reg: PushTarget,
  auth: Credentials | undefined,
  repo: string,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const session = new Session(reg, auth, repo);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** One repository on one registry; answers auth challenges lazily and reuses the credential. */
class Session {
  private readonly reg: PushTarget;
  private readonly auth: Credentials | undefined;
  private readonly repo: string;
  private readonly agent: Agent;
  private authorization: string | undefined;

  // Plain fields rather than parameter properties keep the file type-strippable for node scripts.
  constructor(reg: PushTarget, auth: Credentials | undefined, repo: string) {
    this.reg = reg;
    this.auth = auth;
    this.repo = repo;
    this.agent = new Agent(reg.caPem ? { connect: { ca: reg.caPem } } : {});
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  async pushBlob(data: Buffer): Promise<string> {
    const digest = sha256(data);
    const head = await this.send('HEAD', `/v2/${this.repo}/blobs/${digest}`, { expect: [200, 404] });
    if (head.status === 200) return digest;
    const started = await this.send('POST', `/v2/${this.repo}/blobs/uploads/`, { expect: [202] });
    const location = header(started, 'location');
    const target = new URL(location, this.reg.url);
    target.searchParams.set('digest', digest);
    await this.send('PUT', target.pathname + target.search, {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
      expect: [201],
    });
    return digest;
  }

  putManifest(ref: string, mediaType: string, manifest: object): Promise<string> {
    return this.putManifestBytes(ref, mediaType, Buffer.from(JSON.stringify(manifest)));
  }

  async putManifestBytes(ref: string, mediaType: string, body: Buffer): Promise<string> {
    const res = await this.send('PUT', `/v2/${this.repo}/manifests/${ref}`, {
      headers: { 'content-type': mediaType },
      body,
      expect: [201],
    });
    const digest = sha256(body);
    const reported = header(res, 'docker-content-digest');
    if (reported !== digest) throw new Error(`registry stored ${reported}, we computed ${digest}`);
    return digest;
  }

  async deleteManifest(digest: string): Promise<void> {
    await this.send('DELETE', `/v2/${this.repo}/manifests/${digest}`, { expect: [202] });
  }

  async getManifest(ref: string): Promise<{ body: Buffer; mediaType: string }> {
    const res = await this.send('GET', `/v2/${this.repo}/manifests/${ref}`, {
      headers: { accept: ALL_MANIFEST_TYPES },
      expect: [200],
    });
    return { body: res.body, mediaType: header(res, 'content-type') };
  }

  /** Descriptor for an index entry; size and media type come from what the registry really stores. */
  async describeManifest(digest: string): Promise<{ mediaType: string; size: number; digest: string }> {
    const { body, mediaType } = await this.getManifest(digest);
    return { mediaType, size: body.length, digest };
  }

  /** Sends once; on 401 answers the challenge and retries exactly once. */
  private async send(method: Dispatcher.HttpMethod, path: string, opts: SendOptions): Promise<Received> {
    let res = await this.raw(method, path, opts);
    if (res.status === 401) {
      await this.authenticate(header(res, 'www-authenticate'));
      res = await this.raw(method, path, opts);
    }
    if (!opts.expect.includes(res.status)) {
      const text = res.body.toString('utf8').slice(0, 500);
      throw new Error(`${method} ${this.reg.url}${path} → ${res.status} (expected ${opts.expect}): ${text}`);
    }
    return res;
  }

  private async raw(method: Dispatcher.HttpMethod, path: string, opts: SendOptions): Promise<Received> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.authorization) headers['authorization'] = this.authorization;
    const res = await request(new URL(path, this.reg.url), {
      method,
      headers,
      body: opts.body ?? null,
      dispatcher: this.agent,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  }

  private async authenticate(wwwAuthenticate: string): Promise<void> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (this.auth === undefined) throw new Error(`${this.reg.url} wants credentials: ${wwwAuthenticate}`);
    const basic = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
    if (challenge.scheme === 'basic') {
      this.authorization = basic;
      return;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params['realm']) {
      throw new Error(`unsupported challenge from ${this.reg.url}: ${wwwAuthenticate}`);
    }
    this.authorization = `Bearer ${await this.fetchToken(challenge.params, basic)}`;
  }

  private async fetchToken(params: Record<string, string>, basic: string): Promise<string> {
    const url = new URL(params['realm'] ?? '');
    if (params['service']) url.searchParams.set('service', params['service']);
    // Always ask for push too: one token then serves the whole session.
    url.searchParams.set('scope', `repository:${this.repo}:pull,push`);
    const res = await request(url, { headers: { authorization: basic }, dispatcher: this.agent });
    const json = (await res.body.json()) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (res.statusCode !== 200 || !token) throw new Error(`token request to ${url} → ${res.statusCode}`);
    return token;
  }
}

function header(res: Received, name: string): string {
  const value = res.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) throw new Error(`response has no ${name} header`);
  return first;
}
