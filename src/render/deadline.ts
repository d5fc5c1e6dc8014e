/** Whether the render stage's share of max-duration (epoch ms; none when undefined) has passed. */
export function pastDeadline(deadline: number | undefined): boolean {
  return deadline !== undefined && Date.now() >= deadline;
}
