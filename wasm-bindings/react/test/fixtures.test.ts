// The TS catalogue types against the golden fixtures: `tsc` checks fixtures.generated.ts
// (every fixture typed as CatalogueEvent); this test checks that the generated constants are
// byte-for-byte the fixtures and that the runtime metadata covers every fixture.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { EVENT_TYPES } from '../src/events.generated.js';
import { FIXTURES } from './fixtures.generated.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/protocol/fixtures/events/');

describe('catalogue types', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('cover every golden fixture, and every fixture is a catalogue event', () => {
    expect(files.length).toBe(Object.keys(EVENT_TYPES).length);
    for (const file of files) {
      const fixture = JSON.parse(readFileSync(dir + file, 'utf8'));
      expect(FIXTURES[file.replace(/\.json$/, '')]).toEqual(fixture);
      expect(EVENT_TYPES[fixture.event_type as keyof typeof EVENT_TYPES]).toBe(fixture.category);
    }
  });
});
