import { decide, type Decision } from './decisions.js';

/** A variable in Flux's envsubst syntax (`${VAR}`, `${VAR:=default}`, …), never valid in a reference. */
const VARIABLE = /\$\{[^}]*\}/;

/** Tekton's run-time variables (`$(params.IMAGE)`, `$(inputs.params.x)`, `$(context.taskRun.name)`). */
const TEKTON_VARIABLE = /\$\((?:params|inputs\.params|context)\.[^)]*\)/;

/** Kinds whose step images Tekton fills in when it runs them (tekton.dev). */
const TEKTON_KINDS = new Set(['Task', 'ClusterTask', 'Pipeline', 'PipelineRun', 'TaskRun', 'StepAction']);

/**
 * An image still holding `${VAR}` is filled in at deploy time (Flux `postBuild.substitute`, envsubst in
 * a pipeline), and a Tekton step's `$(params.X)` when the task runs (every tektoncd/catalog task writes
 * its images so): not an invalid reference, but nothing to check from here.
 */
export function deployTimeDecision(written: string, kind?: string): Decision | undefined {
  const variable =
    VARIABLE.exec(written) ?? (kind && TEKTON_KINDS.has(kind) ? TEKTON_VARIABLE.exec(written) : null);
  return variable ? decide('deploy-time-substitution', { written, variable: variable[0] }) : undefined;
}
