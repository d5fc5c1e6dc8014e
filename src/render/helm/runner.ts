import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { runTool, type ToolResult } from '../process.js';

export interface HelmTemplateRequest {
  release: string;
  chartDir: string;
  /** `--values` files, lowest precedence first (the chart's own values.yaml always applies first). */
  valuesFiles: string[];
  /** `--set-string key=value` pairs (keys in helm's dotted syntax, already escaped). */
  setString: Array<[string, string]>;
  timeoutMs: number;
}

export interface HelmDependencyBuildRequest {
  chartDir: string;
  /** helm-dependencies: repositories may be reached; otherwise only `file://` dependencies build. */
  network: boolean;
  timeoutMs: number;
}

/** The helm commands a scan runs; tests substitute one where helm must look missing. */
export interface HelmRunner {
  /** Whether helm is installed at all (looked up on PATH: no process started). */
  installed(): Promise<boolean>;
  template(request: HelmTemplateRequest): Promise<ToolResult>;
  dependencyBuild(request: HelmDependencyBuildRequest): Promise<ToolResult>;
}

/**
 * A `helm template` lives for tens of milliseconds: Go's garbage collector only slows it down (the plain
 * and the probe render run side by side), so it runs only if the heap nears 512 MiB.
 */
const SHORT_LIVED_GO = { GOGC: 'off', GOMEMLIMIT: '512MiB' };

/**
 * helm on PATH. `helm template` never gets the network (a chart with its dependencies in `charts/`
 * needs none); chart tests are left out, as `helm install` does not run them (`helm test` does).
 */
export const DEFAULT_HELM_RUNNER: HelmRunner = {
  installed: () => onPath('helm'),
  template(request) {
    const args = ['template', request.release, request.chartDir, '--skip-tests'];
    for (const file of request.valuesFiles) args.push('--values', file);
    for (const [key, value] of request.setString) args.push('--set-string', `${key}=${value}`);
    // A probe value is not the type or pattern a values.schema.json asks for: only probes skip it.
    if (request.setString.length > 0) args.push('--skip-schema-validation');
    return runTool('helm', args, { network: false, timeoutMs: request.timeoutMs, env: SHORT_LIVED_GO });
  },
  dependencyBuild(request) {
    // Offline, refreshing repository indexes could only fail; file:// dependencies need none.
    const args = ['dependency', 'build', request.chartDir, ...(request.network ? [] : ['--skip-refresh'])];
    return runTool('helm', args, { network: request.network, timeoutMs: request.timeoutMs });
  },
};

/** A values path as `--set` reads it: dots separate keys, so dots (and , = [ \) inside a key are escaped. */
export function setKey(path: string[]): string {
  return path.map((key) => key.replace(/[\\.,=[\]]/g, (c) => `\\${c}`)).join('.');
}

/** Whether an executable `name` is on PATH, as execFile would find it (the lookup a child's start does). */
async function onPath(name: string): Promise<boolean> {
  const env = process.env;
  const extensions = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE').split(';') : [''];
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const found = await access(path.join(dir, name + extension), constants.X_OK).then(
        () => true,
        () => false,
      );
      if (found) return true;
    }
  }
  return false;
}
