/**
 * The notebooks' shared text: what each artefact's `text` (title, caption, what differs from the
 * paper, reading notes) is made of.
 */
/** What a notebook says around its tables and figures (lib/notebooks/notebook-source.ts writes it into the .ipynb). */
export interface NotebookText {
  title: string;
  caption: string;
  differs: string[];
  reading: string[];
}

export const COMMON_DIFFERS = [
  "**Scale.** CPU-scale networks (channel widths scaled down), smaller inputs and far fewer steps than the paper's 150k (2D) / 50k (3D) iterations, except at the `paper` profile.",
  "**Metrics.** Dice in %, and distances in mm from the voxel spacing (lib/metrics, medpy definitions). The paper's “Hausdorff distance (mm)” values (~2 mm) look like an average symmetric surface distance: we put our **ASSD** beside them and also report the true HD and HD95.",
];
export const CARDIAC_DATA = "**Data.** No real cardiac CT volumes are available here, so the cardiac task runs on **synthetic phantoms** (lib/data/synthetic.ts: LV myocardium ring, LV/LA cavities, ascending aorta; CT-like vs MRI-like intensity models with bias field and Rician noise) at every profile below `paper`. The `data_source` column says so in every results file.";
export const ABDOMINAL_DATA = "**Data.** `cpu`/`paper`: real abdominal CT (BTCV) + MRI (CHAOS T2-SPIR) from the data root (`--data DIR` / `UMMKD_DATA`) where lib/data can load them, else synthetic phantoms (recorded in `data_source`); `smoke`/`quick`: synthetic phantoms (liver, kidneys, spleen).";
