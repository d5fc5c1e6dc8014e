import type { ContainerImage } from '../manifests/types.js';
import type { ImageReference } from '../reference/types.js';
import type { PullCheck } from './analyze.js';
import { decide, type PullVerdict } from './decisions.js';

/** A plan of the wrapped check, with the reference a deadline finding names. */
export interface DeadlinePlan<Plan> {
  plan: Plan;
  reference: ImageReference;
}

/**
 * The overall deadline (max-duration) for the registry stage: once `signal` aborts, every check not
 * yet answered is `unverified` with a `max-duration-exceeded` warning, and the scan goes on to report
 * what it has. The checks still pending are abandoned, not awaited: the transport stops sending when
 * the same signal aborts.
 */
export function pullCheckWithDeadline<Plan>(
  inner: PullCheck<Plan>,
  signal: AbortSignal,
  limit: string,
): PullCheck<DeadlinePlan<Plan>> & { readonly unanswered: number } {
  const reached = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  let unanswered = 0;
  const notChecked = (reference: ImageReference): PullVerdict => {
    unanswered++;
    return { status: 'unverified', decisions: [decide('max-duration-exceeded', { reference, limit })] };
  };
  return {
    get unanswered() {
      return unanswered;
    },
    plan: (image: ContainerImage, reference: ImageReference) => ({
      plan: inner.plan(image, reference),
      reference,
    }),
    prepare(plans) {
      if (!signal.aborted) inner.prepare(plans.map(({ plan }) => plan));
    },
    async check({ plan, reference }) {
      if (signal.aborted) return notChecked(reference);
      const answer = await Promise.race([inner.check(plan), reached.then(() => undefined)]);
      return answer ?? notChecked(reference);
    },
  };
}
