// Builds the example's component: the manifest goes into src/manifest.js, and componentize-js
// makes dist/lost_found.wasm from src/plugin.js against the contract in ../../wit/v0.2.0.
// `component()` is what the tests call: it builds only when a source is newer than the
// component. (A project written by `dvor plugin new --lang js` has the same file, with the
// contract copied into its own wit/.)

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const wit = join(root, '..', '..', 'wit', 'v0.2.0');
const out = join(root, 'dist', 'lost_found.wasm');

function sources() {
  const src = readdirSync(join(root, 'src'))
    .filter((f) => f.endsWith('.js') && f !== 'manifest.js')
    .map((f) => join(root, 'src', f));
  return [join(root, 'dvor-plugin.toml'), ...src];
}

/** Build the component now. */
export function build() {
  const manifest = readFileSync(join(root, 'dvor-plugin.toml'), 'utf8');
  writeFileSync(
    join(root, 'src', 'manifest.js'),
    `// Written by build.mjs from dvor-plugin.toml.\nexport const MANIFEST = ${JSON.stringify(manifest)};\n`,
  );
  mkdirSync(dirname(out), { recursive: true });
  const cli = join(root, 'node_modules', '@bytecodealliance', 'componentize-js', 'src', 'cli.js');
  // The host links WASI 0.2 without wasi:http: the `http` and `fetch-event` features are off.
  execFileSync(
    process.execPath,
    [cli, '--wit', wit, '--world-name', 'dvor-plugin', '-d', 'http', '-d', 'fetch-event',
      '-o', out, join(root, 'src', 'plugin.js')],
    { stdio: 'inherit' },
  );
  return out;
}

/** The component, built first if it is missing or older than a source. */
export function component() {
  const built = existsSync(out) ? statSync(out).mtimeMs : 0;
  const newest = Math.max(...sources().map((f) => statSync(f).mtimeMs));
  return newest > built ? build() : out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(build());
}
