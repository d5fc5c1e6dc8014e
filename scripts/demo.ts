// `npm run demo`: local registries on fixed loopback ports, the images examples/ expects, and a scan
// of examples/, so a new user sees every verdict with no internet access.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../src/cli.js';
import { pushImage, pushIndex, tagExisting } from '../test/harness/push.js';
import { startRegistries } from '../test/harness/registries.js';

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64' };
const ARM_V7 = { os: 'linux', architecture: 'arm', variant: 'v7' };

const workDir = await mkdtemp(path.join(tmpdir(), 'preflight-demo-'));
const lab = await startRegistries(workDir, {
  ports: { open: 5001, basic: 5002 },
  basicAlicePassword: 'demo-password',
}).catch((error: Error) => {
  console.error(`demo: could not start the registries (are ports 5001-5002 free?): ${error.message}`);
  process.exit(2);
});
try {
  const open = lab.open;
  const pushed = await pushImage(open, undefined, 'demo/web', '1.4.2', { platform: AMD64 });
  await tagExisting(open, undefined, 'demo/web', pushed.digest, ['1.4.1', '1.5.0', 'latest']);
  await pushIndex(open, undefined, 'demo/multi', '1', [AMD64, ARM64], 'oci');
  await pushIndex(open, undefined, 'demo/armonly', '1', [ARM_V7], 'docker');
  await pushImage(lab.basic, lab.basic.users.alice, 'private/api', '2.0', { platform: AMD64 });
  console.log(`Registries: ${open.url} (open), ${lab.basic.url} (htpasswd). Scanning examples/:\n`);
  process.exitCode = await runCli(['--fail-on', 'never', 'examples'], {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    colour: Boolean(process.stdout.isTTY),
    env: { HOME: workDir },
  });
} finally {
  await lab.stop();
  await rm(workDir, { recursive: true, force: true });
}
