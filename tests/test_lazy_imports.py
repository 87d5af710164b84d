"""``import deltaprop`` leaves the rarely used modules for their first use (deltaprop._lazy): none of
them is loaded by the import, and each name they lend is, once used, the very object its own module
defines, stored where it was asked for, listed by dir() and timed by the profiler as before."""

import json
import os
import pickle
import pkgutil
import subprocess
import sys
import textwrap

import pytest

import deltaprop as dp
from deltaprop import _lazy

SOURCE = os.path.dirname(os.path.dirname(dp.__file__))

# The modules made lazy (each was imported by `import deltaprop` before): linear algebra, special
# functions, the rarer operations, layers and optimizers, and the modules that were lazy already.
RARE = [
    "deltaprop.linalg", "deltaprop.special", "deltaprop.ops.linalg_forms", "deltaprop.ops.lu_factorization",
    "deltaprop.ops.ldl_factorization", "deltaprop.ops.decompositions", "deltaprop.ops.matrix_functions",
    "deltaprop.ops.matrix_norms", "deltaprop.ops.least_squares", "deltaprop.ops.special_functions",
    "deltaprop.ops.gamma_functions", "deltaprop.ops.incomplete_gamma", "deltaprop.ops.histograms",
    "deltaprop.ops.trigonometric", "deltaprop.ops.combining", "deltaprop.ops.covariance", "deltaprop.ops.sampling",
    "deltaprop.ops.recurrent", "deltaprop.nn.recurrent", "deltaprop.nn.attention", "deltaprop.nn.transformer",
    "deltaprop.nn.conv", "deltaprop.nn.pooling", "deltaprop.nn.normalization", "deltaprop.nn.lazy",
    "deltaprop.nn.adaptive", "deltaprop.nn.utils", "deltaprop.nn.utils.parametrizations", "deltaprop.nn.models",
    "deltaprop.nn.functional.sampling", "deltaprop.nn.functional.multi_head_attention",
    "deltaprop.optim.lr_scheduler", "deltaprop.optim.lbfgs", "deltaprop.legacy_types", "deltaprop.anomaly",
    # lazy before this list was written
    "deltaprop.distributions", "deltaprop.profiler", "deltaprop.func", "deltaprop.textbook", "deltaprop.visualize",
    "deltaprop.windows", "deltaprop.signal", "deltaprop.training", "deltaprop.serialization", "deltaprop.cli",
    "deltaprop.sklearn", "deltaprop.nn.utils.prune", "deltaprop.optim.swa_utils",
]

# Imported by this script, every module that lends names (those deltaprop itself does not import).
LENDERS = ("deltaprop", "deltaprop.special", "deltaprop.utils", "deltaprop.cuda", "deltaprop.distributions",
           "deltaprop.nn.utils")


def run(code: str):
    """What ``code`` prints as JSON, run in a fresh interpreter on this source tree."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_deltaprop_loads_none_of_the_rare_modules():
    loaded, sources = run("""
        import json, sys
        import deltaprop
        from deltaprop import _lazy
        loaded = sorted(m for m in sys.modules if m.startswith("deltaprop"))
        # every module a lent name comes from (not a lender that passes the name on: top-level histc from ops)
        sources = sorted({source for table in _lazy.TABLES.values() for name, (source, attribute) in table.items()
                          if not (attribute and name in _lazy.TABLES.get(source, {}))})
        print(json.dumps([loaded, sources]))
    """)
    assert sorted(set(loaded) & set(RARE)) == []
    assert sorted(set(loaded) & set(sources)) == []
    assert len(loaded) < 150  # (206 were loaded before the rare modules were left for their first use)


@pytest.mark.parametrize("direct_first", [False, True], ids=["lent-first", "imported-first"])
def test_each_lent_name_is_the_object_its_module_defines(direct_first):
    # In a fresh interpreter, so that the first use goes through the module's __getattr__: each lent name
    # against the object importing it from its module gives, asked in either order.
    failures = run(f"""
        import importlib, json
        from deltaprop import _lazy
        for name in {LENDERS!r}:
            importlib.import_module(name)
        failures = []
        for lender, table in sorted(_lazy.TABLES.items()):
            module = importlib.import_module(lender)
            for name, (source, attribute) in sorted(table.items()):
                if {direct_first!r}:
                    direct = importlib.import_module(source)
                    direct = direct if attribute is None else getattr(direct, attribute)
                lent = getattr(module, name)
                if not {direct_first!r}:
                    direct = importlib.import_module(source)
                    direct = direct if attribute is None else getattr(direct, attribute)
                if lent is not direct or vars(module).get(name) is not lent:
                    failures.append([lender, name, repr(lent), repr(direct)])
        print(json.dumps(failures))
    """)
    assert failures == []


def test_the_lent_names_are_those_the_modules_defined_before():
    import deltaprop.ops.histograms
    import deltaprop.ops.lu_factorization
    import deltaprop.nn.recurrent
    import deltaprop.optim.lr_scheduler

    from deltaprop.linalg import lu_factor
    from deltaprop.nn import LSTM
    from deltaprop.ops import histc

    assert dp.histc is histc is deltaprop.ops.histograms.histc
    assert lu_factor is dp.linalg.lu_factor and dp.ops.lu_factorization is deltaprop.ops.lu_factorization
    assert dp.nn.LSTM is LSTM is deltaprop.nn.recurrent.LSTM
    assert dp.optim.lr_scheduler is deltaprop.optim.lr_scheduler
    assert dp.special.i0 is dp.i0 and dp.distributions.Normal.__module__ == "deltaprop.distributions.normal"
    assert hasattr(dp, "histogramdd") and hasattr(dp.nn, "Transformer") and not hasattr(dp.nn, "nothing")
    assert {"histc", "linalg", "special", "LongTensor", "range"} <= set(dir(dp))
    assert {"LSTM", "Conv2d", "utils", "models", "recurrent"} <= set(dir(dp.nn))
    assert "modules" not in dir(dp.nn) or "deltaprop.nn.modules" in sys.modules  # (a path, listed once imported)
    with pytest.raises(AttributeError, match="module 'deltaprop.ops' has no attribute 'nothing'"):
        dp.ops.nothing  # noqa: B018
    namespace = {}
    exec("from deltaprop.nn import *", namespace)
    assert namespace["GRU"] is dp.nn.GRU and set(dp.nn.__all__) <= set(namespace)


def test_no_lent_name_is_the_name_of_a_submodule_of_its_package():
    # (importing the submodule would bind the module over the name: deltaprop.ops.median stays imported)
    for name in LENDERS:
        __import__(name)
    for lender, table in _lazy.TABLES.items():
        package = sys.modules[lender]
        if hasattr(package, "__path__"):
            submodules = {info.name for info in pkgutil.iter_modules(package.__path__)}
            clashes = [name for name, (_, attribute) in table.items() if attribute is not None and name in submodules]
            assert clashes == [], f"{lender}: {clashes}"


def test_dir_lists_the_lent_names_and_not_the_unlisted_module_paths():
    listed, hidden = run(f"""
        import importlib, json
        from deltaprop import _lazy
        for name in {LENDERS!r}:
            importlib.import_module(name)
        listed, hidden = [], []
        for lender, table in _lazy.TABLES.items():
            names = set(dir(importlib.import_module(lender)))
            listed += [[lender, name] for name in table if name not in _lazy.UNLISTED[lender] and name not in names]
            hidden += [[lender, name] for name in _lazy.UNLISTED[lender] if name in names]
        print(json.dumps([listed, hidden]))
    """)
    assert listed == [] and hidden == []


def test_an_object_of_a_lazy_module_pickles_into_a_fresh_interpreter():
    dp.manual_seed(0)
    blob = pickle.dumps([dp.nn.LSTM(2, 3), dp.histc, dp.optim.lr_scheduler.StepLR])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")])}
    code = ("import pickle, sys; lstm, histc, step = pickle.loads(sys.stdin.buffer.read()); import deltaprop as dp; "
            "print(type(lstm).__name__, histc is dp.histc, step is dp.optim.lr_scheduler.StepLR)")
    result = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, env=env, timeout=300)
    assert result.stdout.decode().split() == ["LSTM", "True", "True"], result.stderr.decode()


def test_an_operation_or_optimizer_first_used_in_a_profile_is_timed():
    keys = run("""
        import json
        import deltaprop as dp
        from deltaprop.profiler import profile
        with profile() as prof:
            x = dp.tensor([0.5, 1.5, 2.5], requires_grad=True)
            dp.tensor([1.0, 2.0, 2.5]).histc(bins=3)
            optimizer = dp.optim.Rprop([x])
            dp.tan(x).sum().backward()
            optimizer.step()
        print(json.dumps(sorted(e.key for e in prof.key_averages())))
    """)
    assert {"histc", "tan", "tan_backward", "Optimizer.step#Rprop.step"} <= set(keys)
