import importlib.util
import math
import os
import sys
import textwrap

import pytest

from pyfora import (PythonToForaConversionError, UnconvertibleValueError)
from pyfora import _protocol
from pyfora._walker import Walker, global_reads

N = 1000


def isPrime(p):
    x = 2
    while x*x <= p:
        if p%x == 0:
            return 0
        x = x + 1
    return 1


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def uses_nested():
    def inner(y):
        return [isPrime(z) + N for z in range(y)]
    return inner(3) + (lambda q: q + N)(1)


REGISTRY = []


def uses_registry():
    return len(REGISTRY)


REGISTRY.append(uses_registry)


def ship(**objs):
    """Walk 'objs' as block globals; returns the IR document."""
    w = Walker()
    refs = {k: w.ref(v, "variable %r" % k) for k, v in sorted(objs.items())}
    w.run()
    return _protocol.build_document(w.files, w.defs, {"file": 0, "line": 1, "body": [],
                                                      "globals": refs, "outputs": []})


def definition(doc, name):
    return doc["definitions"][doc["block"]["globals"][name]]


def load_module(tmp_path, name, src):
    path = tmp_path / (name + ".py")
    path.write_text(textwrap.dedent(src))
    spec = importlib.util.spec_from_file_location(name, str(path))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def modules(tmp_path):
    names = []

    def make(name, src):
        names.append(name)
        return load_module(tmp_path, name, src)
    yield make
    for n in names:
        sys.modules.pop(n, None)


def test_function_definition_shape():
    doc = ship(isPrime=isPrime)
    d = definition(doc, "isPrime")
    assert d["kind"] == "function"
    assert doc["files"][d["file"]] == os.path.abspath(__file__)
    assert d["node"]["t"] == "FunctionDef" and d["node"]["name"] == "isPrime"
    assert d["node"]["line"] == isPrime.__code__.co_firstlineno
    assert d["globals"] == {} and d["freevars"] == {}
    assert d["defaults"] == [] and d["kwdefaults"] == {}


def test_value_definitions():
    doc = ship(N=N, L=[1, 2.5, "s"], big=2 ** 80)
    assert definition(doc, "N") == {"kind": "value", "value": 1000}
    assert definition(doc, "L") == {"kind": "value",
                                    "value": {"list": [1, 2.5, "s"]}}
    assert definition(doc, "big") == {"kind": "value", "value": {"int": format(2 ** 80, "x")}}


def test_recursive_function_id_stable():
    doc1, doc2 = ship(fact=fact), ship(fact=fact)
    fid = doc1["block"]["globals"]["fact"]
    assert fid == doc2["block"]["globals"]["fact"]
    assert doc1["definitions"][fid]["globals"] == {"fact": fid}
    assert doc1 == doc2


def test_mutual_recursion_ids_stable():
    a = ship(is_even=is_even)
    b = ship(is_odd=is_odd)
    ea = a["block"]["globals"]["is_even"]
    ob = b["block"]["globals"]["is_odd"]
    assert a["definitions"][ea]["globals"]["is_odd"] == ob
    assert b["definitions"][ob]["globals"]["is_even"] == ea
    assert set(a["definitions"]) == set(b["definitions"])


def test_nested_functions_and_lambdas_globals():
    d = definition(ship(uses_nested=uses_nested), "uses_nested")
    assert sorted(d["globals"]) == ["N", "isPrime"]
    assert global_reads(uses_nested.__code__) == ["N", "isPrime", "range"]


def test_globals_across_two_modules(modules):
    modules("pf_helpers", '''\
        SCALE = 3
        def sq(x):
            return x * x * SCALE
        ''')
    main = modules("pf_main", '''\
        from pf_helpers import sq
        import math
        OFFSET = 7
        def f(x):
            return sq(x) + OFFSET + math.floor(1.5)
        ''')
    doc = ship(f=main.f)
    d = definition(doc, "f")
    assert sorted(d["globals"]) == ["OFFSET", "math", "sq"]
    sq = doc["definitions"][d["globals"]["sq"]]
    assert doc["files"][sq["file"]].endswith("pf_helpers.py")
    assert doc["files"][d["file"]].endswith("pf_main.py")
    assert doc["definitions"][sq["globals"]["SCALE"]] == {"kind": "value", "value": 3}
    assert doc["definitions"][d["globals"]["math"]] == {"kind": "module", "name": "math"}
    assert doc["definitions"][d["globals"]["OFFSET"]]["value"] == 7


def test_closures_and_defaults():
    def make_adder(n, k=2):
        def add(x, y=n * 10, *, z=k):
            return x + n + y + z
        return add
    add = make_adder(5)
    doc = ship(add=add)
    d = definition(doc, "add")
    defs = doc["definitions"]
    assert list(d["freevars"]) == ["n"]
    assert defs[d["freevars"]["n"]] == {"kind": "value", "value": 5}
    assert [defs[i]["value"] for i in d["defaults"]] == [50]
    assert {k: defs[v]["value"] for k, v in d["kwdefaults"].items()} == {"z": 2}
    assert d["node"]["name"] == "add"


def test_two_lambdas_on_one_line():
    f, g = (lambda a: a + 1), (lambda b: b * 2)
    df, dg = definition(ship(f=f), "f"), definition(ship(g=g), "g")
    assert df["node"]["t"] == "Lambda" and df["node"]["args"]["args"][0]["arg"] == "a"
    assert dg["node"]["args"]["args"][0]["arg"] == "b"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needs co_positions")
def test_two_lambdas_same_args_one_line():
    f, g = (lambda a: a + 1), (lambda a: a * 2)
    assert definition(ship(f=f), "f")["node"]["body"]["op"] == "Add"
    assert definition(ship(g=g), "g")["node"]["body"]["op"] == "Mult"


def test_decorated_function_ships_the_objects(modules):
    mod = modules("pf_deco", '''\
        def twice(fn):
            def wrapper(x):
                return fn(fn(x))
            return wrapper

        @twice
        def inc(x):
            return x + 1
        ''')
    doc = ship(inc=mod.inc)
    w = definition(doc, "inc")
    assert w["node"]["name"] == "wrapper"
    inner = doc["definitions"][w["freevars"]["fn"]]
    assert inner["node"]["name"] == "inc" and inner["node"]["decorator_list"] == []
    assert inner["node"]["line"] == 7


def test_builtins_and_refs_in_containers():
    doc = ship(f=len, fs=[isPrime, abs], t=int, xr=range)
    assert definition(doc, "f") == {"kind": "builtin", "name": "len"}
    assert definition(doc, "t") == {"kind": "builtin", "name": "int"}
    assert definition(doc, "xr") == {"kind": "builtin", "name": "range"}
    fs = definition(doc, "fs")["value"]["list"]
    assert doc["definitions"][fs[0]["ref"]]["kind"] == "function"
    assert doc["definitions"][fs[1]["ref"]] == {"kind": "builtin", "name": "abs"}


def test_allowed_and_forbidden_modules(modules):
    doc = ship(m=math)
    assert definition(doc, "m") == {"kind": "module", "name": "math"}
    mod = modules("pf_usesos", '''\
        import os

        def f(x):
            y = x
            return os.getpid()
        ''')
    with pytest.raises(PythonToForaConversionError) as e:
        ship(f=mod.f)
    assert "module os" in str(e.value) and "line 5" in str(e.value)
    assert "os.getpid()" in str(e.value)
    with pytest.raises(PythonToForaConversionError):
        ship(m=os)


def test_unconvertible_values_name_the_variable(tmp_path):
    with open(str(tmp_path / "f.txt"), "w") as fh:
        with pytest.raises(UnconvertibleValueError) as e:
            ship(fh=fh)
    assert "'fh'" in str(e.value)
    with pytest.raises(UnconvertibleValueError) as e:
        ship(obj=object())
    assert "'obj'" in str(e.value)
    with pytest.raises(UnconvertibleValueError):
        ship(s="\udc80")


def test_lazy_unconvertible_definition(tmp_path):
    with open(str(tmp_path / "f.txt"), "w") as fh:
        w = Walker()
        refs = {"fh": w.ref(fh, "variable 'fh'", "fh")}
        w.run()
    doc = _protocol.build_document(w.files, w.defs, {"file": 0, "line": 1, "body": [],
                                                     "globals": refs, "outputs": []})
    assert definition(doc, "fh") == {"kind": "unconvertible", "type": "TextIOWrapper",
                                     "name": "fh"}
    assert "'fh'" in w.unconvertible["fh"]


def test_module_attributes_are_module_attr_definitions():
    import functools
    import operator
    doc = ship(sq=math.sqrt, red=functools.reduce, add=operator.add, pi=math.pi)
    assert definition(doc, "sq") == {"kind": "module_attr", "module": "math", "name": "sqrt"}
    assert definition(doc, "red") == {"kind": "module_attr", "module": "functools",
                                      "name": "reduce"}
    assert definition(doc, "add") == {"kind": "module_attr", "module": "operator",
                                      "name": "add"}
    assert definition(doc, "pi") == {"kind": "value", "value": math.pi}


def test_self_referencing_list():
    a = [1, 2]
    a.append(a)
    with pytest.raises(PythonToForaConversionError) as e:
        ship(a=a)
    assert "self-referencing" in str(e.value)


def test_forbidden_construct_in_reached_function(modules):
    mod = modules("pf_bad", '''\
        def helper(v):
            v[0] = 1
            return v

        def g(x):
            return helper(x)
        ''')
    with pytest.raises(PythonToForaConversionError) as e:
        ship(g=mod.g)
    assert "subscript assignment" in str(e.value)
    assert e.value.line == 2 and e.value.file.endswith("pf_bad.py")


def test_class_definition(modules):
    mod = modules("pf_cls", '''\
        BASE = 10

        class Base:
            def value(self):
                return BASE

        class Point(Base):
            scale = 2

            def __init__(self, x):
                self.x = x

            @staticmethod
            def make(v):
                return Point(v)

            def norm(self):
                return abs(self.x) * self.scale + self.value()
        ''')
    doc = ship(P=mod.Point)
    d = definition(doc, "P")
    assert d["kind"] == "class" and d["node"]["t"] == "ClassDef"
    assert d["node"]["name"] == "Point" and d["node"]["line"] == 7
    body = d["node"]["body"]
    assert [s["t"] for s in body] == ["Assign", "FunctionDef", "FunctionDef", "FunctionDef"]
    assert body[2]["decorator_list"][0]["id"] == "staticmethod"
    assert sorted(d["globals"]) == ["Point"]
    base = doc["definitions"][d["bases"][0]]
    assert base["node"]["name"] == "Base" and base["bases"] == []
    assert doc["definitions"][base["globals"]["BASE"]]["value"] == 10
    assert d["globals"]["Point"] == doc["block"]["globals"]["P"]


def test_class_of_a_module_not_in_sys_modules(tmp_path):
    # found by tests/e2e/test_fuzz.py: a class of a module that importlib loaded without
    # registering it in sys.modules went as "unconvertible" (a NameError remotely)
    path = tmp_path / "pf_unregistered.py"
    path.write_text("K = 3\n\nclass Point:\n    def norm(self):\n        return K\n")
    spec = importlib.util.spec_from_file_location("pf_unregistered", str(path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert "pf_unregistered" not in sys.modules
    doc = ship(P=mod.Point)
    d = definition(doc, "P")
    assert d["kind"] == "class" and d["node"]["name"] == "Point"
    assert doc["definitions"][d["globals"]["K"]]["value"] == 3


def test_exception_subclass_base_is_builtin(modules):
    mod = modules("pf_exc", "class MyError(ValueError):\n    pass\n")
    doc = ship(E=mod.MyError)
    d = definition(doc, "E")
    assert doc["definitions"][d["bases"][0]] == {"kind": "builtin", "name": "ValueError"}


def test_cycle_through_a_value():
    d1, d2 = ship(f=uses_registry), ship(f=uses_registry)
    assert d1 == d2
    f = definition(d1, "f")
    reg = d1["definitions"][f["globals"]["REGISTRY"]]
    assert reg == {"kind": "value", "value": {"list": [{"ref": d1["block"]["globals"]["f"]}]}}


def test_unsupported_classes(modules):
    import collections
    import enum
    with pytest.raises(UnconvertibleValueError) as e:
        ship(OD=collections.OrderedDict)
    assert "'OD'" in str(e.value)
    mod = modules("pf_enum", "import enum\nclass Color(enum.Enum):\n    RED = 1\n")
    with pytest.raises(UnconvertibleValueError) as e:
        ship(C=mod.Color)
    assert "metaclass" in str(e.value)
    assert enum
