"""Programs for test_pure_python.py, one module per Language bullet of issue 3.

A program is a module-level function named prog_<name>; it is called with the arguments in
the module's ARGS[<name>] (none by default). It must be ordinary Pure Python: no mutation, no
print, no augmented assignment (test_rules.py covers those). XFAIL[<name>] = "reason" marks a
known gap (strict: the mark must go once the gap is fixed).
"""
import importlib
from collections import namedtuple

import pytest

BULLETS = ("functions", "classes", "types", "persistent", "builtins", "modules")
_MODULES = {"functions": "functions", "classes": "classes", "types": "values",
            "persistent": "persistent", "builtins": "builtin_fns", "modules": "stdmods"}


class Entry(namedtuple("Entry", "bullet name func args xfail")):
    def param(self):
        marks = ()
        if self.xfail:
            marks = (pytest.mark.xfail(strict=True, reason=self.xfail),)
        return pytest.param(self, id="%s-%s" % (self.bullet, self.name), marks=marks)


def fsum_reference(f):
    """Mark a program that sums floats: its local reference uses math.fsum semantics."""
    f.fsum_reference = True
    return f


def _collect():
    out = []
    for bullet in BULLETS:
        mod = importlib.import_module("pure." + _MODULES[bullet])
        args = getattr(mod, "ARGS", {})
        xfail = getattr(mod, "XFAIL", {})
        names = [k for k in vars(mod) if k.startswith("prog_")]
        for k in names:      # definition order
            name = k[len("prog_"):]
            out.append(Entry(bullet, name, getattr(mod, k), tuple(args.get(name, ())),
                             xfail.get(name)))
        for k in list(args) + list(xfail):
            assert "prog_" + k in names, "%s: no program %r" % (bullet, k)
    return out


PROGRAMS = _collect()
