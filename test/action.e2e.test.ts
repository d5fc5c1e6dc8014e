import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeServer } from './support/servers.js';

/**
 * The built action (dist/index.js) run as GitHub runs it: INPUT_* variables, an event payload file,
 * summary and output files, and GITHUB_API_URL pointing at a small fake GitHub API that records what
 * it is sent. Registries are the real lab ones.
 */

const lab = inject('lab');
const DIST = path.resolve('dist/index.js');

interface Recorded {
  method: string;
  url: string;
  authorization: boolean;
  body: unknown;
}

/** The GitHub API as far as the action uses it; `forbidden` plays a fork's read-only token. */
class FakeGitHub {
  requests: Recorded[] = [];
  forbidden = false;
  prFiles: Array<{ filename: string; status: string }> = [];
  comments: Array<{ id: number; body: string; user: { login: string } }> = [];
  private server: Server = createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      url,
      authorization: Boolean(req.headers.authorization),
      body: raw ? JSON.parse(raw) : undefined,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.startsWith('/repos/acme/deploy/pulls/7/files'))
      return send(200, url.includes('page=2') ? [] : this.prFiles);
    if (this.forbidden) return send(403, { message: 'Resource not accessible by integration' });
    // The workflow token: no REST identity, GraphQL's viewer is the Actions bot.
    if (req.method === 'GET' && url === '/user')
      return send(403, { message: 'Resource not accessible by integration' });
    if (req.method === 'POST' && url === '/graphql')
      return send(200, { data: { viewer: { login: 'github-actions[bot]' } } });
    if (req.method === 'POST' && url === '/repos/acme/deploy/check-runs') return send(201, { id: 42 });
    if (req.method === 'PATCH' && url === '/repos/acme/deploy/check-runs/42') return send(200, { id: 42 });
    if (req.method === 'GET' && url.startsWith('/repos/acme/deploy/issues/7/comments'))
      return send(200, this.comments);
    if (req.method === 'POST' && url === '/repos/acme/deploy/issues/7/comments') {
      const body = (JSON.parse(raw) as { body: string }).body;
      this.comments.push({ id: 501, body, user: { login: 'github-actions[bot]' } });
      return send(201, { id: 501 });
    }
    if (req.method === 'PATCH' && url === '/repos/acme/deploy/issues/comments/501') {
      this.comments[0]!.body = (JSON.parse(raw) as { body: string }).body;
      return send(200, { id: 501 });
    }
    send(404, { message: 'Not Found' });
  }
}

const github = new FakeGitHub();
let workspace: string;
const secretPassword = lab.basic.users.alice.password;

beforeAll(async () => {
  await github.start();
  workspace = await mkdtemp(path.join(tmpdir(), 'preflight-action-'));
  await mkdir(path.join(workspace, 'deploy'));
  const open = lab.open.host;
  await writeFile(
    path.join(workspace, 'deploy/web.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: web, namespace: shop}',
      'spec:',
      '  template:',
      '    spec:',
      '      imagePullSecrets: [{name: regcred}]',
      '      containers:',
      '        - name: web',
      `          image: ${open}/app:1.0.10`,
      '        - name: api',
      `          image: ${lab.basic.host}/private/app:2.0`,
    ].join('\n'),
  );
  await writeFile(
    path.join(workspace, 'deploy/untouched.yaml'),
    `apiVersion: v1\nkind: Pod\nmetadata: {name: old}\nspec: {containers: [{name: c, image: "${open}/app:9.9.9"}]}\n`,
  );
  const dockerConfig = {
    auths: { [lab.basic.host]: { auth: Buffer.from(`alice:${secretPassword}`).toString('base64') } },
  };
  await writeFile(
    path.join(workspace, 'deploy/secret.yaml'),
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: regcred, namespace: shop}',
      'type: kubernetes.io/dockerconfigjson',
      `data: {.dockerconfigjson: ${Buffer.from(JSON.stringify(dockerConfig)).toString('base64')}}`,
    ].join('\n'),
  );
});
afterAll(async () => {
  await github.stop();
  await rm(workspace, { recursive: true, force: true });
});
beforeEach(() => {
  github.requests = [];
  github.forbidden = false;
  github.comments = [];
  github.prFiles = [
    { filename: 'deploy/web.yaml', status: 'modified' },
    { filename: 'deploy/gone.yaml', status: 'removed' },
  ];
});

async function runAction(inputs: Record<string, string>, event: object = pullRequestEvent()) {
  const runDir = await mkdtemp(path.join(tmpdir(), 'preflight-run-'));
  const files = {
    event: path.join(runDir, 'event.json'),
    summary: path.join(runDir, 'summary.md'),
    output: path.join(runDir, 'output.txt'),
  };
  await writeFile(files.event, JSON.stringify(event));
  await writeFile(files.summary, '');
  await writeFile(files.output, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: runDir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: 'acme/deploy',
    GITHUB_API_URL: github.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: 'mergesha',
    GITHUB_WORKSPACE: workspace,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    RUNNER_TEMP: runDir,
    'INPUT_GITHUB-TOKEN': 'ghs_faketoken123',
    INPUT_PATHS: 'deploy',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(process.execPath, [DIST], { env, cwd: workspace, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    },
  );
  const outputs = parseOutputs(await readFile(files.output, 'utf8'));
  const summary = await readFile(files.summary, 'utf8');
  const report = outputs['report-file'] ? await readFile(outputs['report-file'], 'utf8') : '';
  await rm(runDir, { recursive: true, force: true });
  return { code, stdout, stderr, outputs, summary, report };
}

function pullRequestEvent() {
  return {
    pull_request: { number: 7, head: { sha: 'headsha' }, base: { sha: 'basesha' } },
    repository: { full_name: 'acme/deploy' },
  };
}

/** GITHUB_OUTPUT uses `name<<delimiter` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) outputs[match[1]!] = match[3]!;
  return outputs;
}

describe('the action on a pull request', () => {
  it('fails on a missing tag with a check-run annotation on that image line naming the closest tags', async () => {
    const run = await runAction({});
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ errors: '1', warnings: '0', result: 'fail', 'images-checked': '2' });
    // Only the changed file's workloads: untouched.yaml's missing tag is not reported.
    expect(run.report).not.toContain('9.9.9');
    const checkRun = github.requests.find(
      (r) => r.method === 'POST' && r.url === '/repos/acme/deploy/check-runs',
    )!;
    expect(checkRun.authorization).toBe(true);
    expect(checkRun.body).toMatchObject({
      name: 'imagepull-preflight',
      head_sha: 'headsha',
      status: 'completed',
      conclusion: 'failure',
    });
    const annotations = (checkRun.body as { output: { annotations: Array<Record<string, unknown>> } }).output
      .annotations;
    expect(annotations).toEqual([
      {
        path: 'deploy/web.yaml',
        start_line: 10,
        end_line: 10,
        start_column: 18,
        end_column: 17 + `${lab.open.host}/app:1.0.10`.length,
        annotation_level: 'failure',
        title: 'tag-not-found: Tag does not exist in the repository',
        message: `Tag "1.0.10" does not exist in ${lab.open.host}/app: the pull fails with ErrImagePull "manifest unknown", then ImagePullBackOff.`,
        raw_details: `Fix: Use an existing tag: ${lab.open.host}/app:1.0.1, ${lab.open.host}/app:1.0.0, ${lab.open.host}/app:1.1.0.`,
      },
    ]);
    // With a check run, no duplicate workflow-command annotations.
    expect(run.stdout).not.toContain('::error file=');
    expect(run.stdout).toContain(
      `::error::1 finding(s) at or above fail-on "error"; first: deploy/web.yaml:10`,
    );
    expect(run.summary).toContain('❌ imagepull-preflight: 1 error(s), 0 warning(s), 0 notice(s)');
    expect(run.summary).toContain(
      '<a href="https://github.com/acme/deploy/blob/headsha/deploy/web.yaml#L10">`deploy/web.yaml:10`</a>',
    );
    expect(run.summary).toContain('scope: changed files (pull request API)');
  });

  it('a fork’s read-only token still gets annotations (workflow commands) and the summary', async () => {
    github.forbidden = true;
    const run = await runAction({});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `::error title=tag-not-found%3A Tag does not exist in the repository,file=deploy/web.yaml,line=10,endLine=10,col=18,endColumn=${17 + `${lab.open.host}/app:1.0.10`.length}::Tag "1.0.10" does not exist`,
    );
    expect(run.summary).toContain('tag-not-found');
  });

  it('passes when the change is correct', async () => {
    github.prFiles = [{ filename: 'deploy/secret.yaml', status: 'modified' }];
    await writeFile(
      path.join(workspace, 'deploy/web.yaml'),
      (await readFile(path.join(workspace, 'deploy/web.yaml'), 'utf8')).replace('1.0.10', '1.0.1'),
    );
    try {
      const run = await runAction({});
      expect(run.code).toBe(0);
      expect(run.outputs).toMatchObject({ errors: '0', result: 'pass' });
      // The changed Secret re-checks the pods that use it.
      expect(JSON.parse(run.report).images.map((i: { reference: string }) => i.reference)).toEqual([
        `${lab.open.host}/app:1.0.1`,
        `${lab.basic.host}/private/app:2.0`,
      ]);
    } finally {
      await writeFile(
        path.join(workspace, 'deploy/web.yaml'),
        (await readFile(path.join(workspace, 'deploy/web.yaml'), 'utf8')).replace('1.0.1', '1.0.10'),
      );
    }
  });

  it('keeps one sticky comment, updated in place', async () => {
    await runAction({ comment: 'true' });
    await runAction({ comment: 'true' });
    const posts = github.requests.filter((r) => r.url.includes('/comments') && r.method !== 'GET');
    expect(posts.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /repos/acme/deploy/issues/7/comments',
      'PATCH /repos/acme/deploy/issues/comments/501',
    ]);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]!.body).toContain('<!-- imagepull-preflight:report -->');
  });

  it('never writes a credential anywhere', async () => {
    const run = await runAction({ comment: 'true', 'sarif-file': 'out.sarif' });
    const sarif = await readFile(path.join(workspace, 'out.sarif'), 'utf8');
    // `::add-mask::` lines are how secrets are masked: the runner consumes them and never shows them.
    const lines = run.stdout.split('\n');
    expect(lines).toContain(`::add-mask::${secretPassword}`);
    const log = lines.filter((line) => !line.startsWith('::add-mask::')).join('\n');
    const written = [
      log,
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs),
      run.report,
      sarif,
      JSON.stringify(github.requests),
    ].join('\n');
    for (const secret of [
      secretPassword,
      Buffer.from(`alice:${secretPassword}`).toString('base64'),
      'ghs_faketoken123',
    ]) {
      expect(written).not.toContain(secret);
    }
  });

  it('masks a value Flux substitutes from a Secret in the repository before printing anything with it', async () => {
    const tag = 'tag-s3cret-91';
    const files = {
      'deploy/flux/web.yaml': [
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata: {name: web, namespace: flux-system}',
        'spec:',
        '  sourceRef: {kind: GitRepository, name: flux-system}',
        '  path: ./deploy/flux-web',
        '  postBuild:',
        '    substituteFrom: [{kind: Secret, name: web-vars}]',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata: {name: web-vars, namespace: flux-system}',
        `data: {TAG: ${Buffer.from(tag).toString('base64')}}`,
      ].join('\n'),
      'deploy/flux-web/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        `spec: {template: {spec: {containers: [{name: web, image: "${lab.open.host}/app:\${TAG}"}]}}}`,
      ].join('\n'),
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
      await writeFile(path.join(workspace, file), text);
    }
    github.prFiles = Object.keys(files).map((filename) => ({ filename, status: 'added' }));
    try {
      const run = await runAction({});
      expect(run.code).toBe(1);
      const lines = run.stdout.split('\n');
      const masked = lines.indexOf(`::add-mask::${tag}`);
      const printed = lines.findIndex((line) => line.includes(tag) && !line.startsWith('::add-mask::'));
      // The failing tag is named in the step's error line, and the runner had been told to hide it.
      expect(lines[printed]).toContain(`Tag "${tag}" does not exist`);
      expect(masked).toBeGreaterThanOrEqual(0);
      expect(masked).toBeLessThan(printed);
    } finally {
      await rm(path.join(workspace, 'deploy/flux'), { recursive: true, force: true });
      await rm(path.join(workspace, 'deploy/flux-web'), { recursive: true, force: true });
    }
  });

  it('refuses bad input with a plain-English message', async () => {
    const run = await runAction({ 'fail-on': 'sometimes' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::input "fail-on" must be one of error, warning, notice, never; got "sometimes"',
    );
  });
});

describe('the repository config file', () => {
  it('is read from the config input; an input GitHub fills with its default does not override it', async () => {
    const dir = path.join(workspace, 'ci');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'preflight.yaml'), 'failOn: never\noffline: true\nscan: all\n');
    try {
      // GitHub passes action.yml's defaults for inputs the workflow leaves out.
      const run = await runAction({ config: 'ci/preflight.yaml', 'fail-on': 'error', offline: 'false' });
      expect(run.outputs.result).toBe('pass');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Settings from ci/preflight.yaml');
      // offline: every image unchecked (scan: all takes in untouched.yaml too).
      const statuses = (JSON.parse(run.report) as { images: Array<{ status: string }> }).images.map(
        (image) => image.status,
      );
      expect(statuses.length).toBeGreaterThan(2);
      expect(new Set(statuses)).toEqual(new Set(['unchecked']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops the step on a mistake in it, naming file:line:column', async () => {
    const dir = path.join(workspace, 'ci');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'preflight.yaml'), 'offline: true\nfail-on: never\n');
    try {
      const run = await runAction({ config: 'ci/preflight.yaml' });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        '::error::ci/preflight.yaml:2:1: unknown key "fail-on"; did you mean "failOn"?',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('check-run batching', () => {
  it('sends 120 annotations as 50 + 50 + 20', async () => {
    const dir = path.join(workspace, 'many');
    await mkdir(dir, { recursive: true });
    const containers = Array.from({ length: 120 }, (_, i) => `  - {name: c${i}, image: "Bad/Image:${i}"}`);
    await writeFile(
      path.join(dir, 'pod.yaml'),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: many}',
        'spec:',
        ' containers:',
        ...containers.map((c) => ` ${c}`),
      ].join('\n'),
    );
    try {
      const run = await runAction({ paths: 'many', scan: 'all', offline: 'true' });
      expect(run.outputs.errors).toBe('120');
      const batches = github.requests.filter((r) => r.url.startsWith('/repos/acme/deploy/check-runs'));
      expect(
        batches.map((r) => [
          r.method,
          (r.body as { output: { annotations: unknown[] } }).output.annotations.length,
        ]),
      ).toEqual([
        ['POST', 50],
        ['PATCH', 50],
        ['PATCH', 20],
      ]);
      // The summary lists every finding, not just the first 10.
      expect(run.summary.match(/<code>invalid-reference<\/code>/g)).toHaveLength(120);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
