import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from './red';

type Catalog = Record<string, unknown>;
const catalogs = new Map<string, Catalog>();

/** The English catalog shipped beside the node files (nodes/locales/en-US/<type>.json). */
function englishCatalog(type: string): Catalog {
  let catalog = catalogs.get(type);
  if (!catalog) {
    const file = path.join(__dirname, '..', '..', '..', 'nodes', 'locales', 'en-US', `${type}.json`);
    try {
      catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as Catalog;
    } catch {
      catalog = {};
    }
    catalogs.set(type, catalog);
  }
  return catalog;
}

function lookup(catalog: Catalog, key: string): string | undefined {
  let at: unknown = catalog;
  for (const part of key.split('.')) {
    if (!at || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, part)) return undefined;
    at = (at as Catalog)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

export type Translate = (key: string, substitutions?: Record<string, unknown>) => string;

/**
 * Node-RED's translator, falling back to the shipped English text when the runtime returns the
 * bare key (no catalog registered, as under node-red-node-test-helper): a status must never
 * show a key instead of words.
 */
export function translator(RED: NodeAPI): Translate {
  const translate = (key: string, substitutions?: Record<string, unknown>): string => {
    const translated = RED._(key, substitutions);
    if (translated !== key) return translated;
    const english = lookup(englishCatalog(key.split('.')[0]), key);
    if (english === undefined) return key;
    return english.replace(/__(\w+)__/g, (whole, name: string) =>
      substitutions && Object.prototype.hasOwnProperty.call(substitutions, name) ? String(substitutions[name]) : whole,
    );
  };
  // Plurals are chosen here ("1 signal", "2 signals") rather than left to i18next's plural rules,
  // which differ between the i18next versions Node-RED 4.1 and 5 bring.
  return (key, substitutions) => {
    const count = substitutions?.count;
    if (typeof count === 'number') {
      const pluralKey = `${key}_${count === 1 ? 'one' : 'other'}`;
      const plural = translate(pluralKey, substitutions);
      if (plural !== pluralKey) return plural;
    }
    return translate(key, substitutions);
  };
}
