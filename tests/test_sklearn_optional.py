"""scikit-learn stays an optional extra: deltaprop imports without it, deltaprop.sklearn names the fix.

These run with or without scikit-learn installed (each in a fresh interpreter).
"""

import subprocess
import sys


def test_import_deltaprop_leaves_sklearn_out():
    code = "import sys, deltaprop; assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_names_the_extra():
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None  # as if scikit-learn were not installed\n"
        "try:\n"
        "    import deltaprop.sklearn\n"
        "except ImportError as error:\n"
        "    assert \"pip install 'scikit-learn>=1.6' scipy\" in str(error), error\n"
        "    assert \"pip install 'deltaprop[sklearn]'\" in str(error), error\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
