import type {
  HelmDependencyBuildRequest,
  HelmRunner,
  HelmTemplateRequest,
} from '../../src/render/helm/runner.js';
import { DEFAULT_HELM_RUNNER } from '../../src/render/helm/runner.js';

/** What the runner answers when helm is not on PATH (the tests otherwise run the real helm). */
export const NO_HELM: HelmRunner = {
  installed: async () => false,
  template: async () => ({ ok: false, missing: true, message: 'helm is not installed' }),
  dependencyBuild: async () => ({ ok: false, missing: true, message: 'helm is not installed' }),
};

/** The real helm from PATH, remembering what it was asked to do. */
export function recordingHelm(): HelmRunner & {
  calls: HelmTemplateRequest[];
  builds: HelmDependencyBuildRequest[];
} {
  const calls: HelmTemplateRequest[] = [];
  const builds: HelmDependencyBuildRequest[] = [];
  return {
    calls,
    builds,
    installed: () => DEFAULT_HELM_RUNNER.installed(),
    template(request) {
      calls.push(request);
      return DEFAULT_HELM_RUNNER.template(request);
    },
    dependencyBuild(request) {
      builds.push(request);
      return DEFAULT_HELM_RUNNER.dependencyBuild(request);
    },
  };
}
