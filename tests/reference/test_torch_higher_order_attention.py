"""Second derivatives through attention, against PyTorch 2.13's: the Hessian-vector product of a
small transformer classifier's loss (multi-head attention with a padding mask, whose softmax is
attention's safe one; the packed query/key/value projection split in three; layer and RMS
normalisation; a GELU feed-forward), and a gradient penalty on a self-attention critic's input.
The cases of the single rules are in tests/higher_order_cases_layers.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from test_torch_higher_order import loss_hessian_vector_products  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

#: PyTorch's fused CPU attention kernel has no second derivative ("derivative for
#: aten::_scaled_dot_product_flash_attention_for_cpu_backward is not implemented"): its plain one
MATH = SDPBackend.MATH

#: the last two positions of the second sequence are padding: no query attends to them
PADDING = np.array([[False] * 5, [False, False, False, True, True], [False] * 5])


def classifier(L, norm_first):
    nn = L.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation="gelu", batch_first=True,
                                                      norm_first=norm_first)
            self.norm = nn.RMSNorm(8, eps=1e-4)
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            h = self.encoder(x, src_key_padding_mask=L.tensor(PADDING))
            return self.head(self.norm(h).mean(dim=1))

    return Classifier()


def _twins(norm_first):
    torch.manual_seed(2)
    reference = classifier(torch, norm_first)
    with torch.no_grad():  # weights larger than the initial ones: second derivatives well away from zero
        for p in reference.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    ours = classifier(dp, norm_first)
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})  # (float32: exact)
    return ours.to(dtype=np.float64), reference.double()


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_hessian_vector_product_of_a_transformer_classifiers_loss(norm_first):
    ours, reference = _twins(norm_first)
    rng = np.random.default_rng(8)
    X, labels = rng.standard_normal((3, 5, 8)), np.array([0, 2, 1])
    vs = [rng.standard_normal(tuple(p.shape)) for p in reference.parameters()]
    with sdpa_kernel(MATH):
        (grads, hv), (grads_t, hv_t) = loss_hessian_vector_products(ours, reference, X, labels, vs, np.float64,
                                                                    torch.float64)
    assert len(hv) == len(hv_t) == 15
    for a, b in zip([*grads, *hv], [*grads_t, *hv_t]):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-9, atol=1e-11)
    assert max(float(np.abs(h.data).max()) for h in hv) > 1e-2  # a product that is not all zeros


def test_a_gradient_penalty_on_a_self_attention_critic_equals_pytorchs():
    """λ·(‖∂D/∂x‖₂ − 1)² for a critic D made of self-attention, differentiated with respect to its
    parameters: second derivatives through the attention weights' softmax and the split projections."""

    def critic(L):
        nn = L.nn
        attention, head = nn.MultiheadAttention(6, 3, batch_first=True), nn.Linear(6, 1)
        return attention, head, lambda x: head(attention(x, x, x, need_weights=False)[0].tanh()).sum()

    torch.manual_seed(4)
    attention_t, head_t, D_t = critic(torch)
    attention_t.double(), head_t.double()
    attention, head, D = critic(dp)
    attention.load_state_dict({k: v.detach().numpy() for k, v in attention_t.state_dict().items()})
    head.load_state_dict({k: v.detach().numpy() for k, v in head_t.state_dict().items()})
    attention.to(dtype=np.float64), head.to(dtype=np.float64)
    x = np.random.default_rng(9).standard_normal((2, 4, 6))

    def penalty_grads(L, D, modules, tensor):
        inputs = tensor(x)
        inputs.requires_grad_(True)
        (g,) = L.autograd.grad(D(inputs), inputs, create_graph=True)
        norm = (g * g).sum(dim=(1, 2)).sqrt()
        penalty = ((norm - 1.0) ** 2).mean() * 10.0
        params = [p for m in modules for p in m.parameters()]
        return L.autograd.grad(penalty, params, allow_unused=True)  # (the head's bias moves no gradient)

    ours = penalty_grads(dp, D, (attention, head), lambda a: dp.tensor(a, dtype=np.float64))
    with sdpa_kernel(MATH):
        theirs = penalty_grads(torch, D_t, (attention_t, head_t), lambda a: torch.tensor(a, dtype=torch.float64))
    assert len(ours) == len(theirs) == 6 and ours[-1] is None and theirs[-1] is None
    for a, b in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-9, atol=1e-11)
