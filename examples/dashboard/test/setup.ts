/// <reference types="node" />
// In Node, the wasm's init() cannot fetch file:// URLs: load it synchronously from disk once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { initSync } from '@herald/client';
import { configure } from '@testing-library/react';

const pkg = dirname(createRequire(import.meta.url).resolve('@herald/client/package.json'));
initSync({ module: readFileSync(join(pkg, 'wasm/herald_wasm_bg.wasm')) });

// The delivery stats render once a second: wait a little longer than the default 1 s.
configure({ asyncUtilTimeout: 5000 });
