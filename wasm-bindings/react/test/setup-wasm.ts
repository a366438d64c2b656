// In Node, init() cannot fetch file:// URLs: load the wasm synchronously from disk once.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { initSync } from '../wasm/herald_wasm.js';

initSync({ module: readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../wasm/herald_wasm_bg.wasm')) });
