/**
 * Many assets side by side: one AssetModel per asset, each with its own signals and normal window,
 * so a pump and an oven on the same line are never judged against each other's normal.
 */
import { InputError } from '../errors';
import { AssetModel, AssetModelJSON, AssetModelOptions, AssetScore } from './multivariate';

export class AssetFleet {
  private readonly models = new Map<string, AssetModel>();

  constructor(assets: Record<string, AssetModelOptions> = {}) {
    for (const [asset, options] of Object.entries(assets)) this.add(asset, new AssetModel(options));
  }

  add(asset: string, model: AssetModel): void {
    this.models.set(asset, model);
  }

  get assets(): string[] {
    return [...this.models.keys()];
  }

  model(asset: string): AssetModel {
    const model = this.models.get(asset);
    // The asset path is the "topic" here: it is what the technician searches the flow for.
    if (!model) throw new InputError('unknown asset', `no multivariate model for this asset`, asset);
    return model;
  }

  learn(asset: string, row: readonly number[]): void {
    this.model(asset).learn(row);
  }

  /** Fits one asset, or every asset when none is named. */
  fit(asset?: string): void {
    if (asset !== undefined) this.model(asset).fit();
    else for (const model of this.models.values()) model.fit();
  }

  score(asset: string, row: readonly number[]): AssetScore {
    return this.model(asset).score(row);
  }

  toJSON(): Record<string, AssetModelJSON> {
    const out: Record<string, AssetModelJSON> = {};
    for (const [asset, model] of this.models) out[asset] = model.toJSON();
    return out;
  }

  static fromJSON(data: Record<string, unknown>): AssetFleet {
    const fleet = new AssetFleet();
    for (const [asset, saved] of Object.entries(data ?? {})) fleet.add(asset, AssetModel.fromJSON(saved));
    return fleet;
  }
}
