"""
Gradient probe with real PyTorch: the receptive field of the centre unit of named
modules of a torchvision model (float64, weights 1/fan-in, max pools swapped for
average pools of the same window, so no edge path underflows or is masked).
usage: python3 bench/torch_probe.py resnet50 layer3,layer4 [input size, default 1024] [nogates]
With `nogates`, squeeze-and-excitation gates (torchvision.ops.SqueezeExcitation) pass their
input through: what is left is the local field, which the reader reports as size/jump/start
(a gate adds global context, design note 16), as on RegNet-Y or EfficientNet.
"""
import sys, torch, torch.nn as nn, torchvision
torch.set_grad_enabled(True)
name, layers = sys.argv[1], sys.argv[2].split(',')
N = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
m = getattr(torchvision.models, name)(weights=None) if hasattr(torchvision.models, name) else None
if m is None:
    for mod in [torchvision.models.video, torchvision.models.segmentation]:
        if hasattr(mod, name): m = getattr(mod, name)(weights=None)
m.eval()
if len(sys.argv) > 4 and sys.argv[4] == 'nogates':
    import torchvision.ops
    for mod in m.modules():
        if isinstance(mod, torchvision.ops.SqueezeExcitation):
            mod.forward = lambda x: x
def swap(mod):
    for k, c in mod.named_children():
        if isinstance(c, nn.MaxPool2d):
            setattr(mod, k, nn.AvgPool2d(c.kernel_size, c.stride, c.padding, ceil_mode=c.ceil_mode))
        elif isinstance(c, nn.Dropout):
            pass
        else:
            swap(c)
swap(m)
m = m.double()
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            mod.weight.fill_(1.0 / max(1, mod.weight[0].numel()))
            if mod.bias is not None: mod.bias.fill_(0)
        elif hasattr(mod, 'weight') and isinstance(getattr(mod, 'weight'), torch.Tensor):
            mod.weight.fill_(1.0)
            if getattr(mod, 'bias', None) is not None: mod.bias.fill_(0)
mods = dict(m.named_modules())
outs = {}
for l in layers:
    mods[l].register_forward_hook(lambda mod, i, o, l=l: outs.__setitem__(l, o))
x = torch.ones(1, 3, N, N, dtype=torch.float64, requires_grad=True)
m(x)
for l in layers:
    o = outs[l]
    if isinstance(o, (tuple, list)): o = o[0]
    if o.dim() != 4:
        print(l, 'not spatial', tuple(o.shape)); continue
    h, w = o.shape[2], o.shape[3]
    g, = torch.autograd.grad(o[0, :, (h - 1) // 2, (w - 1) // 2].sum(), x, retain_graph=True)
    nz = (g[0].abs().sum(0) > 0).nonzero()
    ys, xs = nz[:, 0], nz[:, 1]
    print(l, 'out', h, 'rf', int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1), 'clipped' if ys.min() == 0 or ys.max() == N - 1 else '')
