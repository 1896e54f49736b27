// 2D/3D convolution forward, backward-data and backward-weights on channels-last float32 memory.
//
// conv(params: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array,
//      bias: Float32Array | null, alpha: number)
// params: [kind, nsp, layout, hasBias, post, N, Ci, Co,
//          in[nsp], k[nsp], out[nsp], stride[nsp], dilation-1[nsp], padL[nsp], padR[nsp]]
//   kind   ConvKind (entries.json): forward (a = x, b = filter, out = y, optional bias, optional
//          post-op), backwardData (a = dy, b = filter, out = dx), backwardWeights (a = x, b = dy,
//          out = dFilter)
//   layout ConvLayout: channelsLast (activations plain, weights in oneDNN's preferred layout,
//          reordered per call), blocked (activations reordered too), plain (no reorders; oneDNN
//          may then pick a slower implementation)
//   post   ConvPostOp: none, relu with negative slope alpha (leaky relu when alpha != 0), elu,
//          sigmoid, relu6
#include "common.h"

#include <cstring>

namespace ummkd {
namespace {

struct ConvEntry {
  dnnl::primitive prim;
  Bridged a, b, o;
  bool hasBias = false;
  memory::desc biasDesc;
  std::string impl;
  // 3D filter gradient computed on a depth-padded copy of the input (see build()): the input's
  // planes go between padFront and padBack zero planes of depthPadded, which stay zero.
  int64_t padFront = 0, padBack = 0;
  std::vector<float> depthPadded;
};

PrimitiveCache<ConvEntry>& cache() {
  static PrimitiveCache<ConvEntry> c("convolution");
  return c;
}

/** The primitive's name in messages. */
const char* convName(ConvKind kind) {
  switch (kind) {
    case ConvKind::forward: return "convolution forward";
    case ConvKind::backwardData: return "convolution backward data";
    case ConvKind::backwardWeights: return "convolution backward weights";
  }
  return "convolution";
}

struct ConvSpec {
  ConvKind kind = ConvKind::forward;
  ConvLayout layout = ConvLayout::channelsLast;
  ConvPostOp post = ConvPostOp::none;
  int nsp = 0;
  bool hasBias = false;
  dims src, wei, dst, strides, dil, padL, padR;
};

bool parse(Napi::Env env, const std::vector<int64_t>& p, ConvSpec* s) {
  if (p.size() < 8) return rangeError(env, "conv: params has " + std::to_string(p.size()) + " entries, expected 8 + 7 * spatial rank");
  if (!fromInt(p[0], &s->kind)) return rangeError(env, "conv: params[0] (kind) must be a ConvKind (" + std::string(kConvKindCodes) + "), got " + std::to_string(p[0]));
  if (!fromInt(p[2], &s->layout)) return rangeError(env, "conv: params[2] (layout) must be a ConvLayout (" + std::string(kConvLayoutCodes) + "), got " + std::to_string(p[2]));
  if (!fromInt(p[4], &s->post)) return rangeError(env, "conv: params[4] (post) must be a ConvPostOp (" + std::string(kConvPostOpCodes) + "), got " + std::to_string(p[4]));
  s->nsp = int(p[1]);
  s->hasBias = p[3] != 0;
  const int n = s->nsp;
  if (n != 2 && n != 3) return rangeError(env, "conv: params[1] (spatial rank) must be 2 or 3, got " + std::to_string(p[1]));
  if (p.size() != size_t(8 + 7 * n))
    return rangeError(env, "conv: params has " + std::to_string(p.size()) + " entries, expected " + std::to_string(8 + 7 * n) + " for spatial rank " + std::to_string(n));
  const int64_t N = p[5], Ci = p[6], Co = p[7];
  auto sp = [&](int block) { return dims(p.begin() + 8 + block * n, p.begin() + 8 + (block + 1) * n); };
  s->src = {N, Ci};
  s->wei = {Co, Ci};
  s->dst = {N, Co};
  for (auto v : sp(0)) s->src.push_back(v);
  for (auto v : sp(1)) s->wei.push_back(v);
  for (auto v : sp(2)) s->dst.push_back(v);
  s->strides = sp(3);
  s->dil = sp(4);
  s->padL = sp(5);
  s->padR = sp(6);
  return true;
}

dnnl::post_ops postOps(ConvPostOp post, float alpha) {
  dnnl::post_ops po;
  switch (post) {
    case ConvPostOp::relu: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); break;
    case ConvPostOp::elu: po.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); break;
    case ConvPostOp::sigmoid: po.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); break;
    case ConvPostOp::relu6: po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); break;
    case ConvPostOp::none: break;
  }
  return po;
}

/** Builds the primitive for `s` (throws dnnl::error where oneDNN cannot). */
std::unique_ptr<ConvEntry> build(const ConvSpec& s, float alpha) {
  const auto f32 = memory::data_type::f32;
  const memory::desc srcU(s.src, f32, actTag(s.nsp)), dstU(s.dst, f32, actTag(s.nsp)),
      weiU(s.wei, f32, weiTag(s.nsp));
  const memory::desc srcA(s.src, f32, tag::any), dstA(s.dst, f32, tag::any), weiA(s.wei, f32, tag::any);
  const memory::desc& srcP = s.layout == ConvLayout::blocked ? srcA : srcU;
  const memory::desc& dstP = s.layout == ConvLayout::blocked ? dstA : dstU;
  const memory::desc& weiP = s.layout == ConvLayout::plain ? weiU : weiA;
  const auto alg = dnnl::algorithm::convolution_direct;
  auto& eng = cpuEngine();
  auto e = std::make_unique<ConvEntry>();
  if (s.kind == ConvKind::forward) {
    e->hasBias = s.hasBias;
    e->biasDesc = memory::desc({s.dst[1]}, f32, tag::x);
    dnnl::primitive_attr attr;
    if (s.post != ConvPostOp::none) attr.set_post_ops(postOps(s.post, alpha));
    auto d = s.hasBias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, srcP, weiP,
                                                          e->biasDesc, dstP, s.strides, s.dil, s.padL, s.padR)
                       : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, srcP, weiP,
                                                          dstP, s.strides, s.dil, s.padL, s.padR);
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    e->a.init(srcU, pd.src_desc(), true);
    e->b.init(weiU, pd.weights_desc(), true);
    e->o.init(dstU, pd.dst_desc(), false);
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_forward(pd);
    return e;
  }
  dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, alg, srcP, weiP, dstP, s.strides, s.dil,
                                     s.padL, s.padR);
  dnnl::convolution_forward::primitive_desc fpd(fd, eng);
  if (s.kind == ConvKind::backwardData) {
    dnnl::convolution_backward_data::desc d(alg, srcP, weiP, dstP, s.strides, s.dil, s.padL, s.padR);
    dnnl::convolution_backward_data::primitive_desc pd(d, eng, fpd);
    e->a.init(dstU, pd.diff_dst_desc(), true);
    e->b.init(weiU, pd.weights_desc(), true);
    e->o.init(srcU, pd.diff_src_desc(), false);
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_backward_data(pd);
  } else {
    dnnl::convolution_backward_weights::desc d(alg, srcP, weiP, dstP, s.strides, s.dil, s.padL, s.padR);
    dnnl::convolution_backward_weights::primitive_desc pd(d, eng, fpd);
    if (s.nsp == 3 && s.layout == ConvLayout::channelsLast && std::string(pd.impl_info_str()).find("gemm") != std::string::npos && s.padL[0] >= 0 &&
        s.padR[0] >= 0) {
      // oneDNN 2.x's AVX2 jit filter-gradient kernel refuses depth padding, so the U-Net's 3x3x3
      // convolutions get im2col + gemm there, 2-3x slower than their forward pass. Then the same
      // gradient is computed on the input copied between zero planes (no depth padding) in oneDNN's
      // blocked layouts, which the jit kernel takes. Where oneDNN picks a direct kernel anyway
      // (AVX-512, 2D) nothing changes; where the alternative is gemm too (dilation), gemm it is.
      ConvSpec t = s;
      t.layout = ConvLayout::blocked;
      t.src[2] = s.src[2] + s.padL[0] + s.padR[0];
      t.padL[0] = 0;
      t.padR[0] = 0;
      std::unique_ptr<ConvEntry> padded;
      try {
        padded = build(t, alpha);
      } catch (const dnnl::error&) {
        // no alternative: keep the gemm primitive below
      }
      if (padded && padded->impl.find("gemm") == std::string::npos) {
        padded->padFront = s.padL[0];
        padded->padBack = s.padR[0];
        if (s.padL[0] + s.padR[0] > 0) padded->depthPadded.assign(numel(t.src), 0.f);
        return padded;
      }
    }
    e->a.init(srcU, pd.src_desc(), true);
    e->b.init(dstU, pd.diff_dst_desc(), true);
    e->o.init(weiU, pd.diff_weights_desc(), false);
    e->impl = pd.impl_info_str();
    e->prim = dnnl::convolution_backward_weights(pd);
  }
  return e;
}

ConvEntry* getEntry(Napi::Env env, const std::vector<int64_t>& p, float alpha) {
  return cache().get(env, CacheKey("conv").add(p).add(alpha), [&]() -> std::unique_ptr<ConvEntry> {
    ConvSpec s;
    if (!parse(env, p, &s)) return nullptr;
    return build(s, alpha);
  }, convName(ConvKind(p.empty() ? -1 : p[0])));
}

float alphaArg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().FloatValue() : 0.f;
}

}  // namespace

/** conv(params, a, b, out, bias?, alpha?) -> undefined. */
Napi::Value Conv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  F32 a, b, o, bias;
  if (!getInts(info, 0, "params", &p) || !getF32(info, 1, "a", &a) || !getF32(info, 2, "b", &b) ||
      !getF32(info, 3, "out", &o))
    return env.Undefined();
  ConvEntry* e = getEntry(env, p, alphaArg(info, 5));
  if (!e) return env.Undefined();
  if (e->hasBias && !getF32(info, 4, "bias", &bias)) return env.Undefined();
  // With depthPadded, a.user is the padded input [N, C, D + pads, H, W]; the caller's is [N, C, D, H, W].
  const bool depthPad = !e->depthPadded.empty();
  const dims& ud = e->a.user.dims();
  const size_t plane = depthPad ? size_t(ud[1] * ud[3] * ud[4]) : 0, dPadded = depthPad ? size_t(ud[2]) : 0;
  const size_t dIn = dPadded - size_t(e->padFront + e->padBack);
  const size_t aLen = depthPad ? size_t(ud[0]) * dIn * plane : numel(ud);
  if (a.length != aLen || b.length != numel(e->b.user.dims()) ||
      o.length != numel(e->o.user.dims()) || (e->hasBias && bias.length != numel(e->biasDesc.dims()))) {
    rangeError(env, "conv: a buffer length does not match the shapes in params (a " + std::to_string(a.length) + " vs " +
                        std::to_string(aLen) + ", b " + std::to_string(b.length) + " vs " + std::to_string(numel(e->b.user.dims())) +
                        ", out " + std::to_string(o.length) + " vs " + std::to_string(numel(e->o.user.dims())) + ")");
    return env.Undefined();
  }
  const ConvKind kind = ConvKind(p[0]);  // checked by parse() when the entry was built
  if (depthPad) {
    // Copy each batch item's D planes between padFront and padBack zero planes (those stay zero).
    for (int64_t n = 0; n < ud[0]; n++)
      std::memcpy(e->depthPadded.data() + (n * dPadded + e->padFront) * plane, a.data + n * dIn * plane,
                  dIn * plane * sizeof(float));
  }
  memory ma = e->a.prepare(depthPad ? e->depthPadded.data() : a.data, true), mb = e->b.prepare(b.data, true), mo = e->o.prepare(o.data, false);
  std::unordered_map<int, memory> args;
  if (kind == ConvKind::forward) {
    args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mo}};
    if (e->hasBias) args.insert({DNNL_ARG_BIAS, memory(e->biasDesc, cpuEngine(), bias.data)});
  } else if (kind == ConvKind::backwardData) {
    args = {{DNNL_ARG_DIFF_DST, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DIFF_SRC, mo}};
  } else {
    args = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_DIFF_DST, mb}, {DNNL_ARG_DIFF_WEIGHTS, mo}};
  }
  try {
    e->prim.execute(cpuStream(), args);
    e->o.finish(mo, o.data);
    cpuStream().wait();
  } catch (const dnnl::error& err) {
    dnnlError(env, convName(kind), "execute", err);
  }
  return env.Undefined();
}

/** convImpl(params, alpha?) -> the oneDNN implementation name chosen for these params. */
Napi::Value ConvImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> p;
  if (!getInts(info, 0, "params", &p)) return env.Undefined();
  ConvEntry* e = getEntry(env, p, alphaArg(info, 1));
  if (!e) return env.Undefined();
  return Napi::String::New(env, e->impl);
}

}  // namespace ummkd
