/**
 * `ModalityNorm`: modality-specific normalization as a tf.layers Layer, for users who build
 * Keras-style models (our own networks use the functional `normalize` of norm.ts over
 * tf.Variables, which makes the shared-kernel / per-modality-norm wiring simpler). One set of
 * gamma/beta (and, for batch norm, of moving mean/variance) per modality; the modality of a call
 * is `kwargs.modality` or, inside a LayersModel (which passes no custom kwargs), the layer's
 * `modality` property. Serializable: getConfig + registerClass.
 */
import { tf, tfc, tfl, type Tensor, type Variable } from "../engine/tf.ts";
import { OptionError, oneOf } from "../util/errors.ts";
import { DEFAULT_NORM_EPSILON, DEFAULT_NORM_GROUPS, DEFAULT_NORM_MOMENTUM, normalize } from "./norm.ts";
import { NORM_KINDS, type NormKind } from "./types.ts";

type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type LayerVariable = tfl.LayerVariable;

export interface ModalityNormArgs extends NonNullable<LayerArgs> {
  /** Default "batch". */
  kind?: NormKind;
  /** Number of modalities (parameter sets); default 2. */
  numModalities?: number;
  /** Default by kind (TF contrib defaults, see DEFAULT_NORM_EPSILON). */
  epsilon?: number;
  /** Batch-norm moving-average decay; default 0.9. */
  momentum?: number;
  /** Group norm groups; default 32 (largest divisor of C not above it). */
  groups?: number;
}

export class ModalityNorm extends tfl.layers.Layer {
  static className = "ModalityNorm";
  readonly kind: NormKind;
  readonly numModalities: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly groups: number;
  /** The modality used when a call passes none in kwargs. */
  modality = 0;
  private gammas: LayerVariable[] = [];
  private betas: LayerVariable[] = [];
  private movingMeans: LayerVariable[] = [];
  private movingVars: LayerVariable[] = [];

  constructor(args: ModalityNormArgs = {}) {
    super(args);
    this.kind = oneOf("ModalityNorm: kind", args.kind ?? "batch", NORM_KINDS);
    this.numModalities = args.numModalities ?? 2;
    if (!Number.isInteger(this.numModalities) || this.numModalities < 1) throw new OptionError("ModalityNorm: numModalities", args.numModalities, "a positive integer");
    this.epsilon = args.epsilon ?? DEFAULT_NORM_EPSILON[this.kind];
    this.momentum = args.momentum ?? DEFAULT_NORM_MOMENTUM;
    this.groups = args.groups ?? DEFAULT_NORM_GROUPS;
    this.supportsMasking = true;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[shape.length - 1];
    if (c == null) throw new OptionError("ModalityNorm: input channels", c, "a known channel dimension");
    for (let m = 0; m < this.numModalities; m++) {
      this.gammas.push(this.addWeight(`gamma_${m}`, [c], "float32", tfl.initializers.ones()));
      this.betas.push(this.addWeight(`beta_${m}`, [c], "float32", tfl.initializers.zeros()));
      if (this.kind === "batch") {
        this.movingMeans.push(this.addWeight(`moving_mean_${m}`, [c], "float32", tfl.initializers.zeros(), undefined, false));
        this.movingVars.push(this.addWeight(`moving_variance_${m}`, [c], "float32", tfl.initializers.ones(), undefined, false));
      }
    }
    this.built = true;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const m = (kwargs.modality as number | undefined) ?? this.modality;
    if (!Number.isInteger(m) || m < 0 || m >= this.numModalities) throw new OptionError("ModalityNorm: modality", m, `an integer in [0, ${this.numModalities})`);
    const training = kwargs.training === true;
    return normalize(
      x,
      {
        gamma: this.gammas[m]!.read(),
        beta: this.betas[m]!.read(),
        ...(this.kind === "batch" ? { movingMean: this.movingMeans[m]!.read() as Variable, movingVar: this.movingVars[m]!.read() as Variable } : {}),
      },
      { kind: this.kind, training, epsilon: this.epsilon, momentum: this.momentum, groups: this.groups },
    );
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tfc.serialization.ConfigDict {
    return { ...super.getConfig(), kind: this.kind, numModalities: this.numModalities, epsilon: this.epsilon, momentum: this.momentum, groups: this.groups };
  }
}

tf.serialization.registerClass(ModalityNorm);

/** Factory in the tf.layers style. */
export function modalityNorm(args: ModalityNormArgs = {}): ModalityNorm {
  return new ModalityNorm(args);
}
