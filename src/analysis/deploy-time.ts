import type { Finding } from '../findings.js';
import type { ContainerImage } from '../manifests/types.js';
import { imageFinding } from './finding.js';

/** A variable in Flux's envsubst syntax (`${VAR}`, `${VAR:=default}`, …), never valid in a reference. */
const VARIABLE = /\$\{[^}]*\}/;

/**
 * An image still holding `${VAR}` is filled in at deploy time (Flux `postBuild.substitute`, envsubst in
 * a pipeline): not an invalid reference, but nothing to check from here.
 */
export function deployTimeFinding(image: ContainerImage): Finding | undefined {
  const variable = VARIABLE.exec(image.image);
  if (!variable) return undefined;
  return imageFinding('deploy-time-substitution', image, {
    message: `"${image.image}" holds ${variable[0]}, substituted at deploy time (Flux postBuild.substitute or envsubst); the image was not verified.`,
  });
}
