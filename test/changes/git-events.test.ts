import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectChanges, type ChangeSet } from '../../src/changes/index.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { FEATURE_FILES, git } from './git-fixture.js';
import { baseOptions, createLab, type Lab } from './support.js';

let lab: Lab;
// Push, merge_group and other events must never touch the API: any request here is a bug.
let api: FakeGitHub;

beforeAll(async () => {
  lab = await createLab();
  api = await startFakeGitHub({});
});
afterAll(async () => {
  expect(api.requests).toEqual([]);
  await api?.close();
  await lab?.cleanup();
});

const ZEROS = '0'.repeat(40);
const DEPTH_HINT = 'Use actions/checkout with fetch-depth: 0 so both commits are in the checkout.';

async function detect(eventName: string, body: unknown, workspace = lab.repo.dir): Promise<ChangeSet> {
  const eventPath = await lab.payload(eventName, body);
  return detectChanges(baseOptions(lab, { eventName, eventPath, apiUrl: api.url, workspace }));
}

function push(fields: Record<string, unknown>): Record<string, unknown> {
  return { ref: 'refs/heads/feature', created: false, deleted: false, forced: false, ...fields };
}

describe('push', () => {
  it('diffs before..after', async () => {
    const changes = await detect('push', push({ before: lab.repo.fork, after: lab.repo.feature }));
    expect(changes).toEqual({ mode: 'files', files: FEATURE_FILES, source: 'push before..after', notes: [] });
  });

  it('a force push onto an unrelated tip compares the two trees', async () => {
    // before = main's tip, not an ancestor of after: main-only.yaml vanishes (a deletion, so dropped).
    const changes = await detect(
      'push',
      push({ before: lab.repo.main, after: lab.repo.feature, forced: true }),
    );
    expect(changes.files).toEqual(FEATURE_FILES);
  });

  it('the reverse push shows the file the branch gained and drops what it lost', async () => {
    const changes = await detect('push', push({ before: lab.repo.feature, after: lab.repo.main }));
    expect(changes.files).toEqual(['deploy/a.yaml', 'deploy/b.yaml', 'main-only.yaml', 'old/name.yaml']);
  });

  const newBranch: ChangeSet = {
    mode: 'all',
    files: [],
    source: 'all files (new branch)',
    notes: [
      'The push created a new branch, so there is no previous commit to compare with; all files are scanned.',
    ],
  };

  type PushFields = { before: string; after?: string; created?: boolean; deleted?: boolean };
  // '' stands for a real commit of the fixture (unknown when the table is built): fork / feature.
  it.each<[string, PushFields, ChangeSet]>([
    ['before is all zeros', { before: ZEROS, after: '' }, newBranch],
    ['created: true', { before: ZEROS, created: true }, newBranch],
    ['created: true even with a before SHA', { before: '', created: true }, newBranch],
    [
      'deleted: true',
      { before: '', after: ZEROS, deleted: true },
      { mode: 'files', files: [], source: 'push (branch deleted)', notes: ['The push deleted the branch.'] },
    ],
    [
      'an option smuggled in as a SHA',
      { before: '--output=/tmp/pwned', after: '' },
      {
        mode: 'all',
        files: [],
        source: 'all files (changed files unknown)',
        notes: [
          'The event payload has no valid base commit SHA, so git cannot list the changes; all files are scanned.',
        ],
      },
    ],
  ])('%s', async (_name, fields, expected) => {
    const after = fields.after === '' || fields.after === undefined ? lab.repo.feature : fields.after;
    const before = fields.before === '' ? lab.repo.fork : fields.before;
    expect(await detect('push', push({ ...fields, before, after }))).toEqual(expected);
  });

  it('shallow checkout without the before commit → all files, with the fix', async () => {
    const changes = await detect(
      'push',
      push({ before: lab.repo.fork, after: lab.repo.feature }),
      lab.shallow,
    );
    expect(changes).toEqual({
      mode: 'all',
      files: [],
      source: 'all files (changed files unknown)',
      notes: [
        `Could not diff ${lab.repo.fork.slice(0, 12)}..${lab.repo.feature.slice(0, 12)} with git: the base commit ` +
          `${lab.repo.fork.slice(0, 12)} is not in the checkout (the checkout is shallow); all files are scanned. ${DEPTH_HINT}`,
      ],
    });
  });

  it('a two-dot diff needs no merge base: works in a shallow clone holding both tips', async () => {
    const changes = await detect(
      'push',
      push({ before: lab.repo.main, after: lab.repo.feature }),
      lab.shallowTips,
    );
    expect(changes.files).toEqual(FEATURE_FILES);
  });
});

describe('merge_group', () => {
  it('diffs base_sha..head_sha', async () => {
    const body = {
      action: 'checks_requested',
      merge_group: {
        head_sha: lab.repo.merged,
        head_ref: 'refs/heads/gh-readonly-queue/main/pr-7',
        base_sha: lab.repo.main,
        base_ref: 'refs/heads/main',
      },
    };
    expect(await detect('merge_group', body)).toEqual({
      mode: 'files',
      files: FEATURE_FILES,
      source: 'merge group base..head',
      notes: [],
    });
  });

  it('a missing head_sha → all files', async () => {
    const changes = await detect('merge_group', { merge_group: { base_sha: lab.repo.main } });
    expect(changes.mode).toBe('all');
    expect(changes.notes).toEqual([
      'The event payload has no valid head commit SHA, so git cannot list the changes; all files are scanned.',
    ]);
  });
});

describe('other events scan everything', () => {
  it.each(['workflow_dispatch', 'schedule', 'release', 'issue_comment', ''])('%j', async (eventName) => {
    // No payload file needed: these events never read it.
    const changes = await detectChanges(
      baseOptions(lab, { eventName, apiUrl: api.url, eventPath: undefined }),
    );
    expect(changes).toEqual({
      mode: 'all',
      files: [],
      source: `all files (${eventName || 'unknown'} event)`,
      notes: [],
    });
  });
});

describe('git fixture sanity', () => {
  it('the shallow clones really are shallow', async () => {
    expect(await git(lab.shallow, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(await git(lab.shallowTips, 'rev-parse', '--is-shallow-repository')).toBe('true');
  });
});
