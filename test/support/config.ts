import { expect } from 'vitest';
import { parseConfig } from '../../src/config/file.js';
import { InputError } from '../../src/settings.js';

/** The repository config file's default name, as the tests write it. */
export const CONFIG_FILE = '.imagepull-preflight.yaml';

/** The one-line error parseConfig gives for `text` (failing the test when the file is accepted). */
export function configError(text: string): string {
  try {
    parseConfig(CONFIG_FILE, text);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}
