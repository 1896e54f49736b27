/**
 * The 3D U-Net of the abdominal task (notes section 2; paper Fig. 3), as in the released code:
 * post-activation conv -> BN -> LReLU units, no bias, no dropout, three 2x2x2 max-pools,
 * transposed-conv upsampling with BN + LReLU, concatenated skips, a 1x1x1 head with bias.
 *
 * Layout NDHWC [B, D, H, W, 1] with D the 8-slice axis. The notes write [H, W, Z] with the slice
 * axis last, so their in-plane kernels [3, 3, 1] are [1, 3, 3] here.
 */
import type { Ctx } from "./context.ts";

export interface Unet3dConfig {
  /** Channel multiplier (1 = paper: feature_base 16). */
  width: number;
  numClasses: number;
  inChannels: number;
}

/** Base channel count f = max(1, round(16 w)); levels use f * (1, 2, 4, 8, 16). */
export function unet3dBase(width: number): number {
  return Math.max(1, Math.round(16 * width));
}

/** Inputs must be divisible by 8 on every spatial axis (three 2x2x2 pools). */
export const UNET3D_STRIDE = 8;

const K333 = [3, 3, 3];
const K133 = [1, 3, 3]; // the notes' [3, 3, 1] (in-plane), D-first

function convBnLrelu<V>(ctx: Ctx<V>, name: string, x: V, kernel: number[], cout: number): V {
  const h = ctx.conv(`${name}/conv`, x, { kernel, cout, pad: "same" });
  return ctx.lrelu(ctx.norm(`${name}/bn`, h));
}

function up<V>(ctx: Ctx<V>, name: string, x: V, kernel: number[], cout: number): V {
  const h = ctx.deconv(`${name}/deconv`, x, { kernel, cout, strides: [2, 2, 2] });
  return ctx.lrelu(ctx.norm(`${name}/deconv_bn`, h));
}

/**
 * Forward pass / layer description of the 3D U-Net.
 * @param x [B, D, H, W, inChannels], D, H, W divisible by 8
 * @returns logits [B, D, H, W, numClasses]
 */
export function unet3dForward<V>(ctx: Ctx<V>, x: V, cfg: Unet3dConfig): V {
  const f = unet3dBase(cfg.width);
  ctx.segment("encoder");
  let e1 = convBnLrelu(ctx, "enc1/c1", x, K333, f);
  e1 = convBnLrelu(ctx, "enc1/c2", e1, K333, 2 * f);
  let e2 = convBnLrelu(ctx, "enc2/c1", ctx.maxPool(e1), K333, 2 * f);
  e2 = convBnLrelu(ctx, "enc2/c2", e2, K333, 4 * f);
  let e3 = convBnLrelu(ctx, "enc3/c1", ctx.maxPool(e2), K133, 4 * f);
  e3 = convBnLrelu(ctx, "enc3/c2", e3, K133, 8 * f);
  ctx.segment("bottleneck");
  let b = convBnLrelu(ctx, "enc4/c1", ctx.maxPool(e3), K133, 8 * f);
  b = convBnLrelu(ctx, "enc4/c2", b, K133, 16 * f);
  ctx.segment("decoder");
  // the [1,3,3] transposed convs with stride 2 on D leave every other slice without input (notes quirk)
  let d3 = ctx.concat(up(ctx, "up3", b, K133, 8 * f), e3);
  d3 = convBnLrelu(ctx, "up3/c1", d3, K133, 8 * f);
  d3 = convBnLrelu(ctx, "up3/c2", d3, K133, 8 * f);
  let d2 = ctx.concat(up(ctx, "up2", d3, K133, 8 * f), e2);
  d2 = convBnLrelu(ctx, "up2/c1", d2, K333, 4 * f);
  d2 = convBnLrelu(ctx, "up2/c2", d2, K333, 4 * f);
  let d1 = ctx.concat(up(ctx, "up1", d2, K333, 4 * f), e1);
  d1 = convBnLrelu(ctx, "up1/c1", d1, K333, 2 * f);
  d1 = convBnLrelu(ctx, "up1/c2", d1, K333, 2 * f);
  return ctx.conv("head", d1, { kernel: [1, 1, 1], cout: cfg.numClasses, pad: "same", bias: true });
}
