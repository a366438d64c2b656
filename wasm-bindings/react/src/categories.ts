// The runtime `EventCategory` object, exported together with the type of the same name, so
// the API document's `EventCategory.SECURITY` compiles and runs. (Belongs in the generated
// events.generated.ts; see docs/react.md.)
import { EVENT_CATEGORIES, type EventCategory as Category } from './events.generated.js';

/** An event category (the envelope's `category`): `"PIPELINE" | … | "USER"`. */
export type EventCategory = Category;

/** Every category by name, frozen: `EventCategory.SECURITY === "SECURITY"`. */
export const EventCategory: { readonly [C in Category]: C } = Object.freeze(
  Object.fromEntries(EVENT_CATEGORIES.map((c) => [c, c])) as { [C in Category]: C },
);
