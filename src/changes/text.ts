// Plain-English fragments for notes.

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
