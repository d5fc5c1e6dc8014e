// Replaced by the registry harness: starts real registries on loopback for the whole run.
export default function setup(): void {}
