import type { BasicCredential } from './types.js';

/**
 * Credentials the CI run itself may use to look at a registry (docker login, registry-auth,
 * GITHUB_TOKEN): a keychain in go-containerregistry's sense. They never decide the kubelet's verdict.
 */
export interface CredentialLookup {
  lookup(domain: string): Promise<BasicCredential | undefined>;
}

/**
 * The username docker's credential-helper protocol uses for an identity token (an OAuth2 refresh
 * token). A credential with this username must be exchanged at the token endpoint
 * (`grant_type=refresh_token`, as containerd and dockerd do), never sent as Basic auth.
 */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** A failing credential helper costs the second look, not the scan; identity tokens need an exchange we do not do. */
export function safeLookup(source: CredentialLookup, warnings: string[]): CredentialLookup {
  return {
    async lookup(domain) {
      try {
        const credential = await source.lookup(domain);
        return credential?.username === IDENTITY_TOKEN_USERNAME ? undefined : credential;
      } catch (error) {
        warnings.push(`CI credentials for ${domain} unavailable: ${(error as Error).message}`);
        return undefined;
      }
    },
  };
}
