/** The model bundle the app explains with: loaded once, on first use, with its error kept for the UI. */
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { prepareExplainer } from '../../native-models/explain/index';
import { errorMessage, UnavailableError } from '../../native-models/errors';
import type { GraphCache } from '../../native-models/runtime/graph-cache';
import type { Precision } from '../../native-models/explain/types';

export class ModelHost {
  private loading: Promise<ClipBundle> | null = null;
  /** The default graphs being built in the background: dispose waits for them, so none is made after it. */
  private preparing: Promise<void> = Promise.resolve();
  private loadError: string | null = null;

  /** `graphCache`: where derived graphs are kept across restarts (null: derived in every process). */
  constructor(
    private readonly dir: string | null,
    private readonly graphCache: GraphCache | null = null,
  ) {}

  get(): Promise<ClipBundle> {
    if (!this.dir) return Promise.reject(new ModelUnavailableError('no model bundle is configured (set CANDOR_MODEL_DIR or pass --model DIR)'));
    if (!this.loading) {
      // A model that does not load makes explaining unavailable; its own error says which file and why.
      this.loading = loadClipBundle(this.dir, { graphCache: this.graphCache }).catch((err: unknown) => {
        throw err instanceof UnavailableError ? err : new ModelUnavailableError(errorMessage(err), { cause: err });
      });
      // Build the default NIB graphs while the reviewer reads, not on the first click.
      this.preparing = this.loading.then((bundle) => prepareExplainer(bundle)).catch(() => undefined);
      this.loading.catch((err: unknown) => {
        this.loadError = errorMessage(err);
        // Let a later request try again (the user may have fixed the folder).
        this.loading = null;
      });
    }
    return this.loading;
  }

  /**
   * Builds NIB's graphs at a layer and precision after what is already being built (one derivation at
   * a time: the two cores stay free for an explanation). False where the model does not load or
   * the layer is not one of its layers.
   */
  async prepare(opts: { layer?: number; precision: Precision }): Promise<boolean> {
    const bundle = await this.get().catch(() => null);
    if (!bundle) return false;
    const run = this.preparing.then(() => prepareExplainer(bundle, { ...opts, metrics: false }));
    this.preparing = run.catch(() => undefined);
    return run.then(
      () => true,
      () => false,
    );
  }

  /** The bundle if it loads, else null with the reason. */
  async status(): Promise<{ bundle: ClipBundle | null; error: string | null }> {
    try {
      return { bundle: await this.get(), error: null };
    } catch (err) {
      return { bundle: null, error: this.loadError ?? errorMessage(err) };
    }
  }

  async dispose(): Promise<void> {
    await this.preparing;
    if (this.loading) await (await this.loading.catch(() => null))?.dispose();
  }
}

/** No model to explain with: none configured, or the configured one does not load (the cause says why). */
export class ModelUnavailableError extends UnavailableError {}
