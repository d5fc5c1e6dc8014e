import { decide, type Decision } from './decisions.js';

/** A variable in Flux's envsubst syntax (`${VAR}`, `${VAR:=default}`, …), never valid in a reference. */
const VARIABLE = /\$\{[^}]*\}/;

/**
 * An image still holding `${VAR}` is filled in at deploy time (Flux `postBuild.substitute`, envsubst in
 * a pipeline): not an invalid reference, but nothing to check from here.
 */
export function deployTimeDecision(written: string): Decision | undefined {
  const variable = VARIABLE.exec(written);
  return variable ? decide('deploy-time-substitution', { written, variable: variable[0] }) : undefined;
}
