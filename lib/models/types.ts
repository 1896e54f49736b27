/**
 * Shared vocabulary of the models, losses and trainer (paper Section III and IV-B).
 * This file is the contract between lib/models, lib/losses, lib/train and lib/experiment.
 */
import type { Tensor, Variable } from "../engine/tf.ts";

/** The two networks of the paper: 2D dilated (cardiac, Table I) and 3D U-Net (abdominal, Table II). */
export type NetworkName = "dilated2d" | "unet3d";
export const NETWORKS: readonly NetworkName[] = ["dilated2d", "unet3d"];

/** The seven settings of Section IV-B, in Table I's row order. */
export type Setting = "individual" | "joint" | "joint-kd" | "y-shaped" | "x-shaped" | "chilopod" | "ours";
export const SETTINGS: readonly Setting[] = ["individual", "joint", "joint-kd", "y-shaped", "x-shaped", "chilopod", "ours"];

/** Normalization families of Table V. */
export type NormKind = "batch" | "instance" | "layer" | "group";
export const NORM_KINDS: readonly NormKind[] = ["batch", "instance", "layer", "group"];
/** The paper's normalization (Tables I, II): the default of every network and experiment. */
export const DEFAULT_NORM: NormKind = "batch";

/** Modality index: 0 = CT, 1 = MRI (order does not matter to the method). */
export type Modality = 0 | 1;
export const MODALITY_NAMES = ["ct", "mri"] as const;

/** Whether the setting uses the KD loss (eq. 2-4). */
export function usesKD(setting: Setting): boolean {
  return setting === "joint-kd" || setting === "ours";
}

export interface ModelOptions {
  network: NetworkName;
  setting: Setting;
  /** Channel width multiplier (1 = the paper's network). */
  width?: number;
  /** Normalization family (Table V); default DEFAULT_NORM ("batch"). */
  norm?: NormKind;
  numClasses?: number;
  /** Input channels: 3 adjacent slices for dilated2d, 1 for unet3d. */
  inChannels?: number;
  /** Seed for weight initialisation. */
  seed?: number;
  /** Dropout rate (1 - keep); dilated2d default 0.25 (keep 0.75), unet3d default 0. */
  dropout?: number;
  /**
   * Kernel initialisation: "truncated-normal" (default; std `initStd` = 0.01 as the released
   * code, which trains slowly for the deep 2D net at small scale) or "he" (truncated normal with
   * std sqrt(2 / fan_in)).
   */
  init?: InitScheme;
  /** Std of the "truncated-normal" init; default 0.01. */
  initStd?: number;
  /** Moving-average decay of batch norm; default 0.9 (TF `decay`). */
  normMomentum?: number;
  /**
   * Normalization epsilon; default by kind as TF contrib: batch 1e-3, instance 1e-6, layer 1e-12,
   * group 1e-6. (-1 = that default.)
   */
  normEpsilon?: number;
  /** Groups of group normalization (largest divisor of the channel count <= this); default 32. */
  normGroups?: number;
  /**
   * Which variables `regularizedVariables()` returns: "kernels" (default for dilated2d, as the
   * released 2D code) or "all" (default for unet3d: kernels, norm scale/shift and head bias).
   */
  l2Scope?: L2Scope;
}

export type InitScheme = "truncated-normal" | "he";
export const INIT_SCHEMES: readonly InitScheme[] = ["truncated-normal", "he"];
export type L2Scope = "kernels" | "all";
export const L2_SCOPES: readonly L2Scope[] = ["kernels", "all"];

/** Per-call options of `SegmentationNetwork.apply`. */
export interface ApplyOptions {
  /** Seed for dropout masks in this call (training only). Unseeded dropout is not reproducible. */
  dropoutSeed?: number;
  /**
   * Called with the input of every normalization layer before it is normalized (diagnostics:
   * lib/train/precise-bn.ts collects batch-norm input statistics through it). `layer` is the layer
   * name (e.g. `enc1_1/norm`); `modality` the modality whose own parameters normalize `x`, or null
   * for a shared normalization, whose `x` holds every modality of the call concatenated on the
   * batch axis (Joint, shared parts of Y/X). `x` belongs to the forward pass: read it, do not keep
   * or dispose it.
   */
  onNormInput?: (layer: string, modality: Modality | null, x: Tensor) => void;
}

/**
 * A segmentation network for two modalities. Shared and modality-specific parameters follow the
 * setting. `apply` runs one modality's batch through the layers that modality uses.
 */
export interface SegmentationNetwork {
  readonly options: Required<ModelOptions>;
  /**
   * Forward pass of one modality.
   * @param x NHWC [B, H, W, C] (dilated2d) or NDHWC [B, D, H, W, 1] (unet3d), float32
   * @param modality which modality's normalization (and, for Y/X/individual, layers) to use
   * @param training dropout on, normalization from batch statistics (and moving statistics updated)
   * @param opts.dropoutSeed seed for this call's dropout masks (tf.dropout's `seed`); the trainer
   *   derives one per step and modality from the run seed so that a resumed run reproduces an
   *   uninterrupted one. Implementations should derive distinct seeds per dropout layer from it.
   * @returns logits [B, H, W, numClasses] or [B, D, H, W, numClasses]
   */
  apply(x: Tensor, modality: Modality, training: boolean, opts?: ApplyOptions): Tensor;
  /**
   * Forward pass of both modalities in one call (the training step of Section III-C). Layers whose
   * parameters (kernels and normalization) are all shared run once on the concatenated batch, so
   * a shared normalization (Joint, and the shared part of Y/X) uses the statistics of both
   * modalities' samples together, as one joint network would; modality-specific layers run on
   * each modality's own samples. For Chilopod/Ours/Individual this equals two `apply` calls.
   * @param xA modality 0 (CT) batch, @param xB modality 1 (MRI) batch (batch sizes may differ)
   * @returns [logitsA, logitsB]
   */
  applyPair(xA: Tensor, xB: Tensor, training: boolean, opts?: ApplyOptions): [Tensor, Tensor];
  /** Trainable variables (kernels, biases, normalization scale/shift), each once. */
  trainableVariables(): Variable[];
  /** Conv kernels that the L2 term regularises (notes section 4: kernels only in 2D). */
  regularizedVariables(): Variable[];
  /** Trainable parameter count (the paper's "Param Scale"). */
  countParams(): number;
  /** All state (trainable + moving statistics) by stable name, for checkpoints. */
  getState(): Map<string, Tensor>;
  setState(state: Map<string, Tensor>): void;
  dispose(): void;
}
