import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectChanges, type ChangeSet } from '../../src/changes/index.js';
import { manifests, startFakeGitHub, type FakeGitHub, type FakePull } from './fake-github.js';
import { FEATURE_FILES } from './git-fixture.js';
import { baseOptions, createLab, pullPayload, type Lab } from './support.js';

let lab: Lab;
let api: FakeGitHub;

const PULLS: Record<number, FakePull> = {
  // 250 entries over 3 pages; a removed file and a rename among them.
  1: {
    files: [
      ...manifests(247),
      { filename: 'k8s/gone.yaml', status: 'removed' },
      { filename: 'k8s/new-name.yaml', previous_filename: 'k8s/old-name.yaml', status: 'renamed' },
      { filename: 'k8s/app-0001.yaml', status: 'modified' }, // a duplicate must not survive
    ],
  },
  2: { files: manifests(200) },
  3: { files: manifests(200), omitLink: true },
  4: { files: manifests(3120) },
  5: { files: manifests(3000) },
  6: { files: [] },
  403: { status: 403, message: 'Resource not accessible by integration' },
  500: { status: 500, message: 'Server Error' },
  401: { status: 401, message: 'Bad credentials' },
  999: { hang: true },
};

beforeAll(async () => {
  lab = await createLab();
  api = await startFakeGitHub(PULLS);
});
afterAll(async () => {
  await api?.close();
  await lab?.cleanup();
});

async function detectPull(
  number: number,
  changedFiles?: number,
  eventName = 'pull_request',
): Promise<ChangeSet> {
  const eventPath = await lab.payload(`pr-${number}`, pullPayload(lab.repo, { number, changedFiles }));
  return detectChanges(baseOptions(lab, { eventName, eventPath, apiUrl: api.url }));
}

function requestsFor(number: number) {
  return api.requests.filter((r) => r.path === `/repos/octo/app/pulls/${number}/files`);
}

describe('pull request files from the REST API', () => {
  it('follows pagination, drops removed files, keeps the new name of renames, sorts and dedupes', async () => {
    const changes = await detectPull(1);
    const expected = [...manifests(247).map((f) => f.filename), 'k8s/new-name.yaml'].sort();
    expect(changes).toEqual({ mode: 'files', files: expected, source: 'pull request API', notes: [] });
    expect(requestsFor(1)).toEqual(
      ['1', '2', '3'].map((page) => ({
        method: 'GET',
        path: '/repos/octo/app/pulls/1/files',
        page,
        perPage: '100',
        authorization: 'token ghs_faketoken',
      })),
    );
  });

  it.each([
    // [pull, changed_files, pages requested, files, note]
    [2, 200, 2, 200, undefined, 'a full last page with Link headers costs no extra request'],
    [3, 200, 3, 200, undefined, 'without Link headers an empty page ends the list'],
    [6, 0, 1, 0, undefined, 'an empty pull request'],
    [5, 3000, 30, 3000, undefined, 'exactly 3,000 files is complete'],
    [
      4,
      3120,
      30,
      3000,
      'The pull request changes 3,120 files but the GitHub API lists at most 3,000: ' +
        'the list is truncated at 3,000 and later files are not scanned.',
      'stops at the 3,000-file ceiling',
    ],
  ])(
    'pull %i (%i files): %i pages, %i files, note %j — %s',
    async (number, changed, pages, count, note, _why) => {
      const changes = await detectPull(number, changed);
      expect(changes.mode).toBe('files');
      expect(changes.source).toBe('pull request API');
      expect(changes.files).toHaveLength(count);
      expect(changes.notes).toEqual(note === undefined ? [] : [note]);
      expect(requestsFor(number).map((r) => r.page)).toEqual(
        Array.from({ length: pages }, (_, i) => String(i + 1)),
      );
    },
  );

  it('notes the ceiling even when the payload does not say how many files changed', async () => {
    const payload = pullPayload(lab.repo, { number: 4 }) as { pull_request: Record<string, unknown> };
    delete payload.pull_request['changed_files'];
    const eventPath = await lab.payload('pr-4-no-count', payload);
    const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: api.url }));
    expect(changes.notes).toEqual([
      'The pull request changes more than 3,000 files but the GitHub API lists at most 3,000: ' +
        'the list is truncated at 3,000 and later files are not scanned.',
    ]);
  });

  it.each(['pull_request_target', 'pull_request_review', 'pull_request_review_comment'])(
    '%s reads the same payload',
    async (eventName) => {
      const changes = await detectPull(2, 200, eventName);
      expect(changes.source).toBe('pull request API');
      expect(changes.files).toHaveLength(200);
    },
  );

  it('honours an API URL with a path prefix and a trailing slash (GitHub Enterprise Server)', async () => {
    const ghes = await startFakeGitHub({ 7: { files: manifests(3) } }, { prefix: '/api/v3' });
    try {
      const eventPath = await lab.payload('pr-ghes', pullPayload(lab.repo));
      const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: `${ghes.url}/` }));
      expect(changes.files).toEqual(['k8s/app-0000.yaml', 'k8s/app-0001.yaml', 'k8s/app-0002.yaml']);
      expect(ghes.requests.map((r) => `${r.path}?page=${r.page}`)).toEqual([
        '/api/v3/repos/octo/app/pulls/7/files?page=1',
      ]);
    } finally {
      await ghes.close();
    }
  });

  const proxied = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'].some(
    (name) => process.env[name] || process.env[name.toLowerCase()],
  );
  // @actions/github's default fetch routes through the runner's proxy; only safe for loopback without one.
  it.skipIf(proxied)("works with @actions/github's own fetch when none is injected", async () => {
    const eventPath = await lab.payload('pr-default-fetch', pullPayload(lab.repo, { number: 2 }));
    const before = requestsFor(2).length;
    const changes = await detectChanges({
      ...baseOptions(lab, { eventPath, apiUrl: api.url }),
      fetchImpl: undefined,
    });
    expect(changes.files).toHaveLength(200);
    expect(requestsFor(2).length - before).toBe(2);
  });
});

describe('pull request fallbacks', () => {
  const viaGit = (note: string): ChangeSet => ({
    mode: 'files',
    files: FEATURE_FILES,
    source: 'git diff base...head',
    notes: [note],
  });
  const apiNote = (why: string) => `Could not list the pull request's files through the GitHub API: ${why}`;
  const docs = ' - https://docs.github.com/rest/pulls/pulls#list-pull-requests-files';

  it.each([
    [
      403,
      apiNote(
        `HTTP 403 (Resource not accessible by integration${docs}); give the job \`permissions: pull-requests: read\`.`,
      ),
    ],
    [404, apiNote(`HTTP 404 (Not Found${docs}); the token cannot see this repository or pull request.`)],
    [401, apiNote(`HTTP 401 (Bad credentials${docs}); check the token.`)],
    [500, apiNote(`HTTP 500 (Server Error${docs}).`)],
  ])('HTTP %i → git diff of the merge base and head, with the reason', async (number, note) => {
    const changes = await detectPull(number);
    expect(changes).toEqual(viaGit(note));
    expect(requestsFor(number)).toHaveLength(1);
  });

  it('no token → git, and the API is never called', async () => {
    const eventPath = await lab.payload('pr-no-token', pullPayload(lab.repo, { number: 2 }));
    const before = api.requests.length;
    const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: api.url, token: '' }));
    expect(changes).toEqual(viaGit(apiNote('no token was given.')));
    expect(api.requests.length).toBe(before);
  });

  it('connection refused → git', async () => {
    const closed = await startFakeGitHub({});
    await closed.close();
    const eventPath = await lab.payload('pr-refused', pullPayload(lab.repo));
    const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: closed.url }));
    const port = new URL(closed.url).port;
    expect(changes).toEqual(viaGit(apiNote(`network error (connect ECONNREFUSED 127.0.0.1:${port}).`)));
  });

  it('an API that never answers → git after the timeout', async () => {
    const eventPath = await lab.payload('pr-hang', pullPayload(lab.repo, { number: 999 }));
    const started = performance.now();
    const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: api.url, apiTimeoutMs: 300 }));
    expect(changes).toEqual(viaGit(apiNote('no answer within 300 ms.')));
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it.each([
    [
      'shallow clone without the base commit',
      () => lab.shallow,
      (base: string) =>
        `Could not diff ${base}...${lab.repo.feature.slice(0, 12)} with git: the base commit ${base} is not in ` +
        'the checkout (the checkout is shallow); all files are scanned. ' +
        'Use actions/checkout with fetch-depth: 0 so both commits are in the checkout.',
    ],
    [
      'shallow clone with both commits but no merge base',
      () => lab.shallowTips,
      (base: string) =>
        `Could not diff ${base}...${lab.repo.feature.slice(0, 12)} with git: ` +
        `fatal: ${lab.repo.main}...${lab.repo.feature}: no merge base; all files are scanned. ` +
        'Use actions/checkout with fetch-depth: 0 so both commits are in the checkout.',
    ],
    [
      'not a git repository',
      () => lab.notRepo,
      () =>
        `Could not diff ${lab.repo.main.slice(0, 12)}...${lab.repo.feature.slice(0, 12)} with git: ` +
        'fatal: not a git repository (or any of the parent directories): .git; all files are scanned.',
    ],
  ])('API and git both fail (%s) → all files, two notes', async (_name, workspace, gitNote) => {
    const eventPath = await lab.payload('pr-403-shallow', pullPayload(lab.repo, { number: 403 }));
    const changes = await detectChanges(
      baseOptions(lab, { eventPath, apiUrl: api.url, workspace: workspace() }),
    );
    expect(changes).toEqual({
      mode: 'all',
      files: [],
      source: 'all files (changed files unknown)',
      notes: [
        apiNote(
          `HTTP 403 (Resource not accessible by integration${docs}); give the job \`permissions: pull-requests: read\`.`,
        ),
        gitNote(lab.repo.main.slice(0, 12)),
      ],
    });
  });

  it.each([
    [
      'no pull request number',
      { pull_request: { base: {}, head: {} } },
      'the event payload has no pull request number.',
    ],
    [
      'a non-hex base SHA',
      { number: 2, pull_request: { number: 2, base: { sha: '--output=/tmp/x' }, head: {} } },
      undefined,
    ],
  ])('payload with %s → all files, and no SHA ever reaches git', async (_name, body, api1) => {
    const eventPath = await lab.payload('pr-bad', body);
    const changes = await detectChanges(
      baseOptions(lab, { eventPath, apiUrl: api.url, token: api1 ? 'x' : '' }),
    );
    expect(changes).toEqual({
      mode: 'all',
      files: [],
      source: 'all files (changed files unknown)',
      notes: [
        apiNote(api1 ?? 'no token was given.'),
        'The event payload has no valid base commit SHA, so git cannot list the changes; all files are scanned.',
      ],
    });
  });

  it('unreadable payload → all files with the reason', async () => {
    const eventPath = `${lab.root}/does-not-exist.json`;
    const changes = await detectChanges(baseOptions(lab, { eventPath, apiUrl: api.url }));
    expect(changes.mode).toBe('all');
    expect(changes.notes).toEqual([
      `The pull_request event payload was unavailable (could not read ${eventPath}: ENOENT: no such file or ` +
        `directory, stat '${eventPath}'), so all files are scanned.`,
    ]);
  });
});
