"""set_grad_enabled and inference_mode: each as a call, a with block and a decorator, as PyTorch's."""

from __future__ import annotations

import pytest

import deltaprop as dp


def test_set_grad_enabled_works_as_a_call_a_with_block_and_a_decorator():
    assert dp.is_grad_enabled()
    try:
        dp.set_grad_enabled(False)  # a plain call switches at once, and stays switched
        assert not dp.is_grad_enabled()
        assert not (dp.ones(2, requires_grad=True) * 2).requires_grad
    finally:
        dp.set_grad_enabled(True)
    assert dp.is_grad_enabled()

    with dp.set_grad_enabled(False):
        assert not dp.is_grad_enabled()
        with dp.set_grad_enabled(True):
            assert (dp.ones(2, requires_grad=True) * 2).requires_grad
        assert not dp.is_grad_enabled()
    assert dp.is_grad_enabled()

    @dp.set_grad_enabled(False)
    def evaluate():
        return dp.is_grad_enabled()

    assert dp.is_grad_enabled()  # making the decorator did not switch
    assert evaluate() is False and dp.is_grad_enabled()

    with dp.no_grad():
        switch = dp.set_grad_enabled(True)
        assert dp.is_grad_enabled()
        with switch:
            assert dp.is_grad_enabled()
        assert not dp.is_grad_enabled()  # the mode from before the call
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be True or False, got 'no'"):
        dp.set_grad_enabled("no")
    assert dp.is_grad_enabled()


def test_inference_mode_is_no_grad_and_its_false_form_switches_grad_back_on_as_in_pytorch():
    with dp.inference_mode():
        assert not dp.is_grad_enabled()
        with dp.inference_mode(False):
            assert dp.is_grad_enabled()
        assert not dp.is_grad_enabled()

    @dp.inference_mode
    def bare():
        return dp.is_grad_enabled()

    @dp.inference_mode()
    def called():
        return dp.is_grad_enabled()

    def steps():
        yield dp.is_grad_enabled()

    assert bare() is False and called() is False and list(dp.inference_mode()(steps)()) == [False]
    assert dp.is_grad_enabled()
    with pytest.raises(TypeError, match="inference_mode: mode must be True or False, got 1"):
        dp.inference_mode(1)


def test_grad_mode_switches_match_pytorch():
    torch = pytest.importorskip("torch")
    for library in (dp, torch):
        with library.no_grad():
            seen = [library.is_grad_enabled()]
            with library.set_grad_enabled(True):
                seen.append(library.is_grad_enabled())
            with library.inference_mode(False):
                seen.append(library.is_grad_enabled())
            library.set_grad_enabled(True)
            seen.append(library.is_grad_enabled())
        seen.append(library.is_grad_enabled())
        assert seen == [False, True, True, True, True], library.__name__
