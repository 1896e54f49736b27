/**
 * The 2D dilated cardiac network (notes section 1; paper Fig. 2): pre-activation residual groups
 * 1-10, zero-padded channel shortcuts, two dilation-2 blocks in group 8, three max-pools, group 10
 * symmetric-pad conv + BN + LReLU, 8x sub-pixel upsampling and a 5x5 symmetric-pad output conv.
 * No biases. Written once against `Ctx`, so the same code gives the layer description.
 */
import type { Ctx } from "./context.ts";

export interface Dilated2dConfig {
  /** Channel multiplier (1 = paper: feature_base 16). */
  width: number;
  numClasses: number;
  inChannels: number;
}

/**
 * Channel plan: base f = max(2, round(16 w)), groups use f * (1, 2, 4, 8, 16, 16, 32, 32, 32), so
 * every increase doubles exactly and the zero-padded shortcut stays valid; group 10 outputs
 * r*r*K*c channels with r = 8 and c = max(1, round(8 w)) (paper: 8*8*5*8 = 2560 -> 40 after PS).
 */
export function dilated2dChannels(width: number): { base: number; psChannelsPerClass: number } {
  return { base: Math.max(2, Math.round(16 * width)), psChannelsPerClass: Math.max(1, Math.round(8 * width)) };
}

/** Upsampling factor of the sub-pixel layer (3 max-pools). Inputs must be divisible by it. */
export const DILATED2D_STRIDE = 8;

/** Pre-activation residual block (BN -> LReLU -> conv -> dropout, twice, + shortcut). */
function residualBlock<V>(ctx: Ctx<V>, name: string, x: V, cout: number, dilation = 1): V {
  const s = ctx.shape(x);
  const cin = s[s.length - 1]!;
  let h = ctx.lrelu(ctx.norm(`${name}/bn_1`, x));
  h = ctx.dropout(ctx.conv(`${name}/conv_1`, h, { kernel: [3, 3], cout, dilation, pad: "same" }));
  h = ctx.lrelu(ctx.norm(`${name}/bn_2`, h));
  h = ctx.dropout(ctx.conv(`${name}/conv_2`, h, { kernel: [3, 3], cout, dilation, pad: "same" }));
  // "inc_dim": cout = 2 cin, shortcut zero-padded by cin/2 channels on each side (no projection)
  const sc = cin === cout ? x : ctx.padChannels(x, (cout - cin) / 2, (cout - cin) / 2);
  return ctx.add(h, sc);
}

/** BN -> LReLU -> conv -> dropout (group 9). */
function bnLreluConv<V>(ctx: Ctx<V>, name: string, x: V, cout: number): V {
  const h = ctx.lrelu(ctx.norm(`${name}/bn`, x));
  return ctx.dropout(ctx.conv(`${name}/conv`, h, { kernel: [3, 3], cout, pad: "same" }));
}

/**
 * Forward pass / layer description of the dilated network.
 * @param x [B, H, W, inChannels] with H, W divisible by 8
 * @returns logits [B, H, W, numClasses]
 */
export function dilated2dForward<V>(ctx: Ctx<V>, x: V, cfg: Dilated2dConfig): V {
  const { base: f, psChannelsPerClass } = dilated2dChannels(cfg.width);
  const K = cfg.numClasses;
  const r = DILATED2D_STRIDE;
  ctx.segment("encoder");
  let h = ctx.conv("group_1/conv1_1", x, { kernel: [3, 3], cout: f, pad: "same" });
  h = residualBlock(ctx, "group_1/rb_1", h, f);
  h = ctx.maxPool(h);
  h = residualBlock(ctx, "group_2/rb_1", h, 2 * f);
  h = ctx.maxPool(h);
  h = residualBlock(ctx, "group_3/rb_1", h, 4 * f);
  h = residualBlock(ctx, "group_3/rb_2", h, 4 * f);
  h = ctx.maxPool(h);
  h = residualBlock(ctx, "group_4/rb_1", h, 8 * f);
  h = residualBlock(ctx, "group_4/rb_2", h, 8 * f);
  ctx.segment("bottleneck");
  h = residualBlock(ctx, "group_5/rb_1", h, 16 * f);
  h = residualBlock(ctx, "group_5/rb_2", h, 16 * f);
  h = residualBlock(ctx, "group_6/rb_1", h, 16 * f);
  h = residualBlock(ctx, "group_6/rb_2", h, 16 * f);
  h = residualBlock(ctx, "group_7/rb_1", h, 32 * f);
  h = residualBlock(ctx, "group_7/rb_2", h, 32 * f);
  ctx.segment("decoder");
  h = residualBlock(ctx, "group_8/dr_1", h, 32 * f, 2);
  h = residualBlock(ctx, "group_8/dr_2", h, 32 * f, 2);
  h = bnLreluConv(ctx, "group_9/blc_1", h, 32 * f);
  h = bnLreluConv(ctx, "group_9/blc_2", h, 32 * f);
  // group 10: post-activation, no dropout
  h = ctx.conv("group_10/conv", h, { kernel: [3, 3], cout: r * r * K * psChannelsPerClass, pad: "symmetric" });
  h = ctx.lrelu(ctx.norm("group_10/bn", h));
  h = ctx.phaseShift(h, r);
  return ctx.conv("output/conv", h, { kernel: [5, 5], cout: K, pad: "symmetric" });
}
