/**
 * Builds a proposed model from discovered paths (OPC UA browse results, learned ingest topics).
 * What the plant offers is not always a valid model, so the builder repairs what it can and
 * writes a note for each repair or omission, for the technician's review:
 *   - "#", "+" and control characters in a name become "_"; over-long names, "*" and "**" are
 *     left out;
 *   - a path deeper than the model allows is left out, as is anything beyond 100,000 signals;
 *   - a name that is both a signal and an asset with things below it (an OPC UA variable with
 *     variables under it, topics "a/b" and "a/b/c") stays an asset; the signal is left out.
 */
import { MODEL_LIMITS, nameProblem, quote } from './checks';
import { currentModelSchemaVersion, type AssetDefinition, type AssetKind, type SignalDefinition, type TwinModel } from './types';
import { validateModel } from './validate';

/**
 * A proposed model (revision 0) and the notes about it. `notes` is NOT enumerable: the proposal
 * is a plain TwinModel for validateModel, exportModel and JSON.stringify, which all leave the
 * notes out. Send `proposal.notes` alongside when the editor should show them.
 */
export type ModelProposal = TwinModel & { readonly notes: string[] };

/** At most this many notes are kept; the rest are counted in a last note. */
const MAX_NOTES = 200;
const REPLACED_CHARACTERS = /[#+\u0000-\u001f\u007f]/g;

interface DraftAsset {
  name: string;
  kind: AssetKind;
  children: Map<string, DraftAsset>;
  signals: Map<string, SignalDefinition>;
}

export class ProposalBuilder {
  private readonly top = new Map<string, DraftAsset>();
  private readonly notes: string[] = [];
  private unnoted = 0;
  private signalCount = 0;

  constructor(private readonly kindAt: (depth: number) => AssetKind = () => 'other') {}

  note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
    else this.unnoted++;
  }

  /** Levels made usable as names, or undefined (noted) when they cannot be. */
  levels(rawLevels: string[], shown: string): string[] | undefined {
    if (rawLevels.length > MODEL_LIMITS.maxDepth + 1) {
      this.note(`${quote(shown)}: deeper than ${MODEL_LIMITS.maxDepth} asset levels, left out`);
      return undefined;
    }
    const levels = rawLevels.map((level) => level.replace(REPLACED_CHARACTERS, '_'));
    const problem = levels.map(nameProblem).find((p) => p !== undefined);
    if (problem) {
      this.note(`${quote(shown)}: ${problem}, left out`);
      return undefined;
    }
    if (levels.some((level, i) => level !== rawLevels[i])) {
      this.note(`${quote(shown)}: "#", "+" or control characters replaced by "_"`);
    }
    return levels;
  }

  /** The asset at these (usable) levels, created with its parents as needed. */
  asset(levels: string[]): DraftAsset | undefined {
    if (levels.length === 0 || levels.length > MODEL_LIMITS.maxDepth) return undefined;
    let siblings = this.top;
    let asset: DraftAsset | undefined;
    levels.forEach((name, i) => {
      asset = siblings.get(name);
      if (!asset) {
        asset = { name, kind: this.kindAt(i + 1), children: new Map(), signals: new Map() };
        siblings.set(name, asset);
      }
      siblings = asset.children;
    });
    return asset;
  }

  /** Adds a signal under the asset at `assetLevels`; a repeated name keeps the first. */
  signal(assetLevels: string[], signal: SignalDefinition): void {
    const asset = this.asset(assetLevels);
    if (!asset) return;
    if (asset.signals.has(signal.name)) {
      this.note(`${quote(`${assetLevels.join('/')}/${signal.name}`)}: found twice, the first kept`);
      return;
    }
    if (this.signalCount >= MODEL_LIMITS.maxSignals) {
      if (this.signalCount++ === MODEL_LIMITS.maxSignals) this.note(`more than ${MODEL_LIMITS.maxSignals} signals: the rest left out`);
      return;
    }
    this.signalCount++;
    asset.signals.set(signal.name, signal);
  }

  private finish(draft: DraftAsset, path: string): AssetDefinition {
    const children = [...draft.children.values()].map((child) => this.finish(child, `${path}/${child.name}`));
    const signals: SignalDefinition[] = [];
    for (const signal of draft.signals.values()) {
      if (draft.children.has(signal.name)) {
        this.note(`${quote(`${path}/${signal.name}`)}: has signals below it, so it is an asset; its own value is not a signal`);
      } else {
        signals.push(signal);
      }
    }
    return { name: draft.name, kind: draft.kind, children, signals, parameters: [] };
  }

  /** The checked proposal with its notes (see ModelProposal). */
  build(name: string): ModelProposal {
    const assets = [...this.top.values()].map((asset) => this.finish(asset, asset.name));
    const model = validateModel({ schemaVersion: currentModelSchemaVersion, revision: 0, name, assets, relationships: [] });
    const notes = [...this.notes];
    if (this.unnoted > 0) notes.push(`... and ${this.unnoted} more notes`);
    Object.defineProperty(model, 'notes', { value: notes, enumerable: false });
    return model as ModelProposal;
  }
}
