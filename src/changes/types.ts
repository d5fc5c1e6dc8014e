export interface ChangeSet {
  /** 'all': scan everything (non-PR events, or the user asked); 'files': only these. */
  mode: 'all' | 'files';
  /** Repository-relative paths ('/' separators) of added/modified/renamed files; removed files excluded. */
  files: string[];
  /** How they were found, for the job summary: 'pull request API', 'git diff base...head', … */
  source: string;
  /** Why we fell back (API unavailable, …), plain English, or empty. */
  notes: string[];
}

export interface ChangeOptions {
  /** GITHUB_EVENT_NAME. */
  eventName: string;
  /** GITHUB_EVENT_PATH: the event's JSON payload. */
  eventPath?: string;
  /** Token for the pull request API; without one the API is skipped. */
  token?: string;
  /** GITHUB_API_URL, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  apiUrl: string;
  /** GITHUB_REPOSITORY: owner/repo. */
  repository: string;
  /** The repository checkout, where the git fallback runs. */
  workspace: string;
  /**
   * fetch for the API. Default: @actions/github's own, which honours the runner's proxy settings;
   * tests inject a plain fetch so loopback requests can never be sent through a proxy.
   */
  fetchImpl?: typeof fetch;
  /** Per-request API timeout (default 30 s). */
  apiTimeoutMs?: number;
  /** Timeout for each git command (default 60 s). */
  gitTimeoutMs?: number;
}
