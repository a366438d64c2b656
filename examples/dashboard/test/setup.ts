// In Node, the wasm's init() cannot fetch file:// URLs: load it synchronously from disk once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { initSync } from '@herald/client';

const pkg = dirname(createRequire(import.meta.url).resolve('@herald/client/package.json'));
initSync({ module: readFileSync(join(pkg, 'wasm/herald_wasm_bg.wasm')) });
