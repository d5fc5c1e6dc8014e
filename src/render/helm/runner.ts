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

/** Runs `helm template`; tests substitute their own, since helm may not be installed. */
export interface HelmRunner {
  template(request: HelmTemplateRequest): Promise<ToolResult>;
}

/**
 * helm on PATH, never allowed the network (`helm template` needs none for a vendored chart). Chart
 * tests are left out: `helm install` does not run them, `helm test` does.
 */
export const DEFAULT_HELM_RUNNER: HelmRunner = {
  template(request) {
    const args = ['template', request.release, request.chartDir, '--skip-tests'];
    for (const file of request.valuesFiles) args.push('--values', file);
    for (const [key, value] of request.setString) args.push('--set-string', `${key}=${value}`);
    return runTool('helm', args, { network: false, timeoutMs: request.timeoutMs });
  },
};

/** A values path as `--set` reads it: dots separate keys, so dots (and , = [ \) inside a key are escaped. */
export function setKey(path: string[]): string {
  return path.map((key) => key.replace(/[\\.,=[\]]/g, (c) => `\\${c}`)).join('.');
}
