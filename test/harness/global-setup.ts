// vitest globalSetup: one lab of real registries for the whole run, described to tests via provide/inject.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { seedCatalogue } from './catalogue.js';
import type { LabInfo } from './lab-info.js';
import { startRegistries, tokenServerUrl, type RegistryLab } from './registries.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = await mkdtemp(join(tmpdir(), 'imagepull-preflight-lab-'));
  const cleanup = (lab?: RegistryLab) => async (): Promise<void> => {
    await lab?.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  const t0 = performance.now();
  let lab: RegistryLab | undefined;
  try {
    lab = await startRegistries(workDir);
    const t1 = performance.now();
    const images = await seedCatalogue(lab);
    const t2 = performance.now();
    project.provide('lab', labInfo(lab, images, t1 - t0, t2 - t1));
    console.log(`registry lab: started in ${Math.round(t1 - t0)} ms, seeded in ${Math.round(t2 - t1)} ms`);
  } catch (err) {
    await cleanup(lab)();
    throw err;
  }
  return cleanup(lab);
}

function labInfo(lab: RegistryLab, images: LabInfo['images'], startupMs: number, seedMs: number): LabInfo {
  const { realm, service, users } = lab.token;
  return {
    open: pick(lab.open),
    basic: { ...pick(lab.basic), users: lab.basic.users },
    token: { ...pick(lab.token), realm, service, tokenServerUrl: tokenServerUrl(lab), users },
    tls: { ...pick(lab.tls), caFile: lab.tls.caFile, caPem: lab.tls.caPem },
    images,
    startupMs: Math.round(startupMs),
    seedMs: Math.round(seedMs),
  };
}

/** Only the serialisable fields (the live token server object must not cross the process boundary). */
function pick(reg: { name: LabInfo['open']['name']; host: string; url: string }): LabInfo['open'] {
  return { name: reg.name, host: reg.host, url: reg.url };
}
