#!/usr/bin/env node
// The system packages the tests use, checked before `npm test` spends minutes on the build.
// Missing ones are installed with apt where that can be done without a question (root, or
// sudo without a password); otherwise this stops at once with the one command to run.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Debian package → a file it installs that the tests use (an absolute path, or a command on PATH). One line each. */
const PACKAGES = [
  { apt: 'chromium', provides: '/usr/bin/chromium', for: 'end-to-end tests (playwright-core drives it)' },
  { apt: 'fonts-dejavu-core', provides: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', for: 'a font for Chromium to draw text with' },
  { apt: 'poppler-utils', provides: 'pdftotext', for: 'reading the PDF reports back' },
  { apt: 'dcmtk', provides: 'dcmdjpeg', for: 'DICOM reference decodes and test files' },
  { apt: 'dicom3tools', provides: 'dciodvfy', for: 'checking the DICOM objects Candor writes against their IODs' },
  { apt: 'orthanc', provides: '/usr/sbin/Orthanc', for: 'a real PACS peer (DICOMweb and DIMSE) for the PACS tests' },
  { apt: 'orthanc-dicomweb', provides: '/usr/share/orthanc/plugins/libOrthancDicomWeb.so', for: 'the DICOMweb plugin of Orthanc (QIDO-RS, WADO-RS, STOW-RS)' },
  { apt: 'python3-torch', provides: '/usr/lib/python3/dist-packages/torch/__init__.py', for: 'model bundles of other sizes and their NIB references by PyTorch autograd (tests/clip/generated-families.test.ts)' },
  { apt: 'python3-onnx', provides: '/usr/lib/python3/dist-packages/onnx/__init__.py', for: 'the open_clip export script reads the exported graph (native-models/clip/export_open_clip.py)' },
];

function found(provides) {
  if (isAbsolute(provides)) return existsSync(provides);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, provides), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const missing = () => PACKAGES.filter((p) => !found(p.provides));

function run(argv) {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: res.status === 0, output: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? res.error.message : ''}` };
}

/** The prefix that runs apt as root without asking for anything, or null where none can. */
function asRoot() {
  if (!found('apt-get')) return null;
  if (process.getuid?.() === 0) return [];
  if (found('sudo') && run(['sudo', '-n', 'true']).ok) return ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  return null;
}

const need = missing();
if (need.length > 0) {
  const names = need.map((p) => p.apt);
  const command = `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${names.join(' ')}`;
  const prefix = asRoot();
  if (!prefix) {
    console.error(`candor: the tests need these system packages (Debian names):`);
    for (const p of need) console.error(`  ${p.apt}: ${p.for} (${p.provides} not found)`);
    console.error(`Install them and run the tests again:\n  ${command}`);
    process.exit(1);
  }
  console.log(`candor: installing the system packages the tests need: ${names.join(', ')}`);
  for (const argv of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...names]]) {
    const res = run([...prefix, ...argv]);
    if (!res.ok) {
      console.error(`candor: \`${argv.join(' ')}\` failed:\n${res.output.trim()}\nInstall the packages yourself and run the tests again:\n  ${command}`);
      process.exit(1);
    }
  }
  const still = missing();
  if (still.length > 0) {
    console.error(`candor: apt installed ${names.join(', ')} but ${still.map((p) => p.provides).join(', ')} is still missing.`);
    process.exit(1);
  }
}
