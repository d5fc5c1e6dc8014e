/** A problem with what the user asked for (a bad value, a path that does not exist): exit code 2, not a finding. */
export class InputError extends Error {}
