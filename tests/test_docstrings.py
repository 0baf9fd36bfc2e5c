"""The pure core documents every public function and class in numpydoc, with Examples that run.

The modules below are held to it (ruff's D1 checks that docstrings exist everywhere else that is
off the burn-down list in pyproject.toml); their Examples are doctests, run here, so they cannot
go stale.
"""

import doctest
import importlib
import inspect
import re

import pytest

CORE = [
    "standardland.units",
    "standardland.dates",
    "standardland.crs",
    "standardland.rules.thresholds",
    "standardland.rules.engine",
    "standardland.rules.catalogue",
    "standardland.rules.matching",
    "standardland.styles",  # not core, but held to the same bar (QGIS styles of an export)
]
EXAMPLES = re.compile(r"^Examples\n-{8}\n>>> ", re.MULTILINE)


def _public(mod):
    for name, obj in vars(mod).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != mod.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def _doc(obj) -> str:
    # a dataclass without a docstring gets a generated one ("Name(field, ...)"): not documentation
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__") or ""
    return obj.__doc__ or ""


@pytest.mark.parametrize("modname", CORE)
def test_every_public_function_and_class_has_an_examples_section(modname):
    mod = importlib.import_module(modname)
    public = dict(_public(mod))
    assert public, f"{modname} has no public functions or classes"
    lacking = [name for name, obj in public.items() if not EXAMPLES.search(inspect.cleandoc(_doc(obj)))]
    assert not lacking, f"{modname}: no numpydoc 'Examples' section in {', '.join(lacking)}"


@pytest.mark.parametrize("modname", CORE)
def test_the_examples_run_and_print_what_they_say(modname):
    mod = importlib.import_module(modname)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {modname} failed (see above)"
