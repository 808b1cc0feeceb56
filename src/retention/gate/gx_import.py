"""Import Great Expectations without loading scipy.stats, which the gate never uses.

`import great_expectations` imports every expectation GX has. Two of them (KL divergence and
Kolmogorov-Smirnov tests; the gate has neither) import scipy.stats at the top of their modules
and use it only when they run: at x1 loading it was a tenth of the gate's time. It is put in
`sys.modules` as a lazy module (importlib.util.LazyLoader) that loads in full the first time
anything reads from it, so code that does use it works as before. (altair, which the KL
divergence imports with `import altair`, cannot be deferred so: that statement reads the
module's __spec__, and reading anything loads a lazy module.)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

LAZY = ("scipy.stats",)


def _lazy(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return  # not installed: nothing to defer
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as the import system binds a submodule to its package
        setattr(sys.modules[parent], child, module)


def great_expectations() -> ModuleType:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in LAZY:
        if name not in sys.modules:
            _lazy(name)
    import great_expectations as gx

    return gx
