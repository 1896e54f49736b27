#!/usr/bin/python3
"""PyTorch CPU peer of `ummkd bench train-step` (lib/bench/train-step.ts): the same network, loss,
batch and optimizer, timed the same way, so the ratio in results/bench/train_step.csv compares
like with like. Run with Debian's python3-torch: /usr/bin/python3 lib/bench/torch_train_step.py ...

Networks:
  dilated2d    the paper's 2D dilated network (authors-code-notes section 1) at width W, with the
               channel plan of lib/models/dilated2d.ts: f = max(2, round(16 W)), groups
               f*(1,2,4,8,16,16,32,32,32), group 10 -> 64*K*c (c = max(1, round(8 W))), pixel
               shuffle x8, 5x5 output conv; pre-activation residual blocks with zero-padded
               shortcuts, dilation 2 in group 8, no biases, dropout 0.25, LeakyReLU 0.2, and two
               BN sets (Chilopod: one per modality, shared kernels). Loss: per modality Dice (p^2
               denominator, background included) + weighted CE (clip 0.005), + 0.5 * KD (class-mean
               logits over the GT mask, T=2, symmetric KL / 2, mean over classes) + 1e-4 * L2 over
               the conv kernels. Adam lr 1e-4. B images per modality, S x S x 3.
  placeholder  the engine issue's 3-layer net: 3x3 convs 1->16->32->32 with BN + LeakyReLU, 1x1 conv
               to 5 classes, softmax CE, Adam; B images of S x S x 1.

--norm batch|instance|layer|group (dilated2d, unet3d): the normalization family of Table V, as
lib/models/norm.ts defines it (instance / layer / group as nn.GroupNorm with G = C / 1 / the largest
divisor of C not above 32, TF contrib epsilons).

Prints one JSON line: {"ms_per_step", "ms_steps", "params", "threads", "torch", ...}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

K = 5
# Normalization family of dilated2d / unet3d (Table V, --norm); set by main().
NORM = "batch"
# lib/models/norm.ts DEFAULT_NORM_EPSILON and DEFAULT_NORM_GROUPS
NORM_EPS = {"batch": 1e-3, "instance": 1e-6, "layer": 1e-12, "group": 1e-6}
NORM_GROUPS = 32


def group_count(c, groups):
    """lib/models/norm.ts groupCount: the largest divisor of c not above groups."""
    for g in range(min(groups, c), 0, -1):
        if c % g == 0:
            return g
    return 1


def make_norm(c, dims):
    """One normalization layer of kind NORM for c channels. Instance / layer / group are per sample
    over the spatial axes and C/G consecutive channels (G = C, 1, group_count(C, 32)), i.e. nn.GroupNorm
    with affine gamma/beta, as lib/models/norm.ts."""
    if NORM == "batch":
        return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d)(c, eps=1e-3, momentum=0.1)
    g = {"instance": c, "layer": 1, "group": group_count(c, NORM_GROUPS)}[NORM]
    return nn.GroupNorm(g, c, eps=NORM_EPS[NORM])


class ModBN(nn.Module):
    """One normalization per modality (batch: TF batch_norm: decay 0.9 -> momentum 0.1, eps 1e-3)."""

    def __init__(self, c):
        super().__init__()
        self.bn = nn.ModuleList([make_norm(c, 2) for _ in range(2)])

    def forward(self, x, m):
        return self.bn[m](x)


def conv(cin, cout, k=3, dil=1, pad=True):
    return nn.Conv2d(cin, cout, k, padding=(dil * (k // 2)) if pad else 0, dilation=dil, bias=False)


class RB(nn.Module):
    def __init__(self, cin, cout, dil=1, drop=0.25):
        super().__init__()
        self.bn1, self.c1 = ModBN(cin), conv(cin, cout, dil=dil)
        self.bn2, self.c2 = ModBN(cout), conv(cout, cout, dil=dil)
        self.cin, self.cout, self.drop = cin, cout, drop

    def forward(self, x, m):
        h = F.dropout(self.c1(F.leaky_relu(self.bn1(x, m), 0.2)), self.drop, self.training)
        h = F.dropout(self.c2(F.leaky_relu(self.bn2(h, m), 0.2)), self.drop, self.training)
        sc = x
        if self.cout != self.cin:
            p = (self.cout - self.cin) // 2
            sc = F.pad(x, (0, 0, 0, 0, p, p))
        return h + sc


class BLC(nn.Module):
    def __init__(self, c, drop=0.25):
        super().__init__()
        self.bn, self.c, self.drop = ModBN(c), conv(c, c), drop

    def forward(self, x, m):
        return F.dropout(self.c(F.leaky_relu(self.bn(x, m), 0.2)), self.drop, self.training)


class Dilated2d(nn.Module):
    def __init__(self, width, in_ch=3):
        super().__init__()
        f = max(2, round(16 * width))
        c = max(1, round(8 * width))
        self.conv1 = conv(in_ch, f)
        g = [f, 2 * f, 4 * f, 8 * f, 16 * f, 16 * f, 32 * f]
        self.g1 = RB(f, f)
        self.g2 = RB(f, g[1])
        self.g3 = nn.ModuleList([RB(g[1], g[2]), RB(g[2], g[2])])
        self.g4 = nn.ModuleList([RB(g[2], g[3]), RB(g[3], g[3])])
        self.g5 = nn.ModuleList([RB(g[3], g[4]), RB(g[4], g[4])])
        self.g6 = nn.ModuleList([RB(g[4], g[5]), RB(g[5], g[5])])
        self.g7 = nn.ModuleList([RB(g[5], g[6]), RB(g[6], g[6])])
        self.g8 = nn.ModuleList([RB(g[6], g[6], dil=2), RB(g[6], g[6], dil=2)])
        self.g9 = nn.ModuleList([BLC(g[6]), BLC(g[6])])
        self.g10 = conv(g[6], 64 * K * c, pad=False)
        self.g10bn = ModBN(64 * K * c)
        self.out = conv(K * c, K, k=5, pad=False)

    def forward(self, x, m):
        h = self.conv1(x)
        h = F.max_pool2d(self.g1(h, m), 2)
        h = F.max_pool2d(self.g2(h, m), 2)
        for b in self.g3:
            h = b(h, m)
        h = F.max_pool2d(h, 2)
        for grp in (self.g4, self.g5, self.g6, self.g7, self.g8, self.g9):
            for b in grp:
                h = b(h, m)
        h = self.g10(sym_pad(h, 1))
        h = F.leaky_relu(self.g10bn(h, m), 0.2)
        h = F.pixel_shuffle(h, 8)
        return self.out(sym_pad(h, 2))

    def kernels(self):
        return [p for n, p in self.named_parameters() if p.dim() == 4]


def sym_pad(x, p):
    """TF 'SYMMETRIC' padding (edge repeated) by p on H and W."""
    top = x[:, :, :p, :].flip(2)
    bot = x[:, :, -p:, :].flip(2)
    x = torch.cat([top, x, bot], 2)
    left = x[:, :, :, :p].flip(3)
    right = x[:, :, :, -p:].flip(3)
    return torch.cat([left, x, right], 3)


def seg_loss(logits, g):
    p = F.softmax(logits, 1)
    dims = tuple(i for i in range(g.dim()) if i != 1)
    inter = (p * g).sum(dims)
    dice = 2 * inter / ((p * p).sum(dims) + g.sum(dims) + 1e-7)
    l_dice = -dice.mean()
    w = 1 - g.sum(dims) / g.sum()
    ce = -(w.view(1, -1, *([1] * (g.dim() - 2))) * g * torch.log(torch.clamp(p, 0.005, 1))).sum(1).mean()
    return l_dice + ce


def class_mean_probs(logits, g, T=2.0):
    # z_c = sum over batch/pixels of logits * g_c / (sum g_c + 1e-6), one 5-vector per class
    lf = logits.flatten(2)
    gf = g.flatten(2)
    z = torch.einsum("bkn,bcn->ck", lf, gf) / (gf.sum((0, 2)).view(-1, 1) + 1e-6)
    return F.softmax(z / T, 1)


def kd_loss(la, ga, lb, gb):
    pa, pb = class_mean_probs(la, ga), class_mean_probs(lb, gb)
    kl_ab = (pa * torch.log(pa / pb)).sum(1)
    kl_ba = (pb * torch.log(pb / pa)).sum(1)
    return ((kl_ab + kl_ba) / 2).mean()


class ModBN3(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bn = nn.ModuleList([make_norm(c, 3) for _ in range(2)])

    def forward(self, x, m):
        return self.bn[m](x)


class CBL3(nn.Module):
    """conv3d (no bias, SAME) -> BN (per modality) -> LeakyReLU 0.2."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.c = nn.Conv3d(cin, cout, k, padding=tuple(kk // 2 for kk in k), bias=False)
        self.bn = ModBN3(cout)

    def forward(self, x, m):
        return F.leaky_relu(self.bn(self.c(x), m), 0.2)


class Up3(nn.Module):
    """transposed conv, stride 2 on D, H, W (output = 2x input), no bias -> BN -> LeakyReLU."""

    def __init__(self, cin, cout, k):
        super().__init__()
        self.c = nn.ConvTranspose3d(cin, cout, k, stride=2, padding=tuple(kk // 2 for kk in k),
                                    output_padding=tuple(1 if kk % 2 == 1 else 0 for kk in k), bias=False)
        self.bn = ModBN3(cout)

    def forward(self, x, m):
        return F.leaky_relu(self.bn(self.c(x), m), 0.2)


class Unet3d(nn.Module):
    """lib/models/unet3d.ts (notes section 2), D-first: [1,3,3] = the notes' [3,3,1] in-plane kernels."""

    def __init__(self, width):
        super().__init__()
        f = max(1, round(16 * width))
        K333, K133 = (3, 3, 3), (1, 3, 3)
        self.e1 = nn.ModuleList([CBL3(1, f, K333), CBL3(f, 2 * f, K333)])
        self.e2 = nn.ModuleList([CBL3(2 * f, 2 * f, K333), CBL3(2 * f, 4 * f, K333)])
        self.e3 = nn.ModuleList([CBL3(4 * f, 4 * f, K133), CBL3(4 * f, 8 * f, K133)])
        self.b = nn.ModuleList([CBL3(8 * f, 8 * f, K133), CBL3(8 * f, 16 * f, K133)])
        self.u3 = Up3(16 * f, 8 * f, K133)
        self.d3 = nn.ModuleList([CBL3(16 * f, 8 * f, K133), CBL3(8 * f, 8 * f, K133)])
        self.u2 = Up3(8 * f, 8 * f, K133)
        self.d2 = nn.ModuleList([CBL3(12 * f, 4 * f, K333), CBL3(4 * f, 4 * f, K333)])
        self.u1 = Up3(4 * f, 4 * f, K333)
        self.d1 = nn.ModuleList([CBL3(6 * f, 2 * f, K333), CBL3(2 * f, 2 * f, K333)])
        self.head = nn.Conv3d(2 * f, K, 1, bias=True)

    @staticmethod
    def seq(mods, x, m):
        for mod in mods:
            x = mod(x, m)
        return x

    def forward(self, x, m):
        e1 = self.seq(self.e1, x, m)
        e2 = self.seq(self.e2, F.max_pool3d(e1, 2), m)
        e3 = self.seq(self.e3, F.max_pool3d(e2, 2), m)
        b = self.seq(self.b, F.max_pool3d(e3, 2), m)
        d3 = self.seq(self.d3, torch.cat([self.u3(b, m), e3], 1), m)
        d2 = self.seq(self.d2, torch.cat([self.u2(d3, m), e2], 1), m)
        d1 = self.seq(self.d1, torch.cat([self.u1(d2, m), e1], 1), m)
        return self.head(d1)


class Placeholder(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = conv(1, 16), nn.BatchNorm2d(16, eps=1e-3)
        self.c2, self.b2 = conv(16, 32), nn.BatchNorm2d(32, eps=1e-3)
        self.c3, self.b3 = conv(32, 32), nn.BatchNorm2d(32, eps=1e-3)
        self.head = nn.Conv2d(32, K, 1, bias=False)

    def forward(self, x):
        h = F.leaky_relu(self.b1(self.c1(x)), 0.2)
        h = F.leaky_relu(self.b2(self.c2(h)), 0.2)
        h = F.leaky_relu(self.b3(self.c3(h)), 0.2)
        return self.head(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--network", default="dilated2d", choices=["dilated2d", "unet3d", "placeholder"])
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--norm", default="batch", choices=["batch", "instance", "layer", "group"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="cuda: the GPU peer of the webgpu engine on a lent GPU machine (each step ends in float(loss), a sync)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda: torch.cuda.is_available() is False on this machine")
    dev = torch.device(a.device)
    global NORM
    NORM = a.norm
    if a.norm != "batch" and a.network == "placeholder":
        ap.error("--norm: the placeholder network's normalization is batch norm only")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    S, B = a.size, a.batch
    if a.network in ("dilated2d", "unet3d"):
        if a.network == "dilated2d":
            net = Dilated2d(a.width)
            sp, cin, eta = (S, S), 3, 1e-4
            reg = net.kernels
        else:
            net = Unet3d(a.width)
            sp, cin, eta = (a.depth, S, S), 1, 2e-4
            reg = lambda: [p for p in net.parameters() if p.requires_grad]  # noqa: E731 (all variables, notes section 4)
        net = net.to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        xs = [torch.randn(B, cin, *sp).to(dev) for _ in range(2)]
        ys = [torch.randint(0, K, (B, *sp)).to(dev) for _ in range(2)]
        gs = [F.one_hot(y, K).movedim(-1, 1).float() for y in ys]

        def step():
            opt.zero_grad(set_to_none=True)
            la, lb = net(xs[0], 0), net(xs[1], 1)
            loss = seg_loss(la, gs[0]) + seg_loss(lb, gs[1]) + 0.5 * kd_loss(la, gs[0], lb, gs[1])
            loss = loss + eta * sum((k * k).sum() / 2 for k in reg())
            loss.backward()
            opt.step()
            return float(loss)
    else:
        net = Placeholder().to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        x = torch.randn(B, 1, S, S).to(dev)
        y = torch.randint(0, K, (B, S, S)).to(dev)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            return float(loss)

    net.train()
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    params = sum(p.numel() for p in net.parameters() if p.requires_grad)
    print(json.dumps({
        "impl": "pytorch", "network": a.network, "norm": a.norm, "width": a.width, "size": S, "batch": B,
        "ms_per_step": times[len(times) // 2], "ms_steps": times, "params": params,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "loss": loss, "device": a.device,
        **({"gpu": torch.cuda.get_device_name(0)} if a.device == "cuda" else {}),
    }))


if __name__ == "__main__":
    main()
