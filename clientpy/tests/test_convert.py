import ast
import sys
import textwrap

import pytest

from pyfora import BadWithBlockError, PythonToForaConversionError
from pyfora._convert import Converter, block_outputs

IS_PRIME = '''\
def isPrime(p):
    x = 2
    while x*x <= p:
        if p%x == 0:
            return 0
        x = x + 1
    return 1
'''


def convert_def(src, file="/t/x.py"):
    src = textwrap.dedent(src)
    tree = ast.parse(src)
    return Converter(file, src.splitlines()).convert_definition(tree.body[0])


def convert_block(src, file="/t/x.py", shadowed=lambda n: False):
    src = textwrap.dedent(src)
    tree = ast.parse(src)
    return Converter(file, src.splitlines(), shadowed).convert_block(tree.body)


def types_in(node, out=None):
    out = [] if out is None else out
    if isinstance(node, dict):
        if "t" in node:
            out.append(node["t"])
        for v in node.values():
            types_in(v, out)
    elif isinstance(node, list):
        for v in node:
            types_in(v, out)
    return out


def test_isprime_shape():
    ir = convert_def(IS_PRIME)
    assert ir["t"] == "FunctionDef" and ir["name"] == "isPrime"
    assert ir["line"] == 1 and ir["col"] == 0 and ir["decorator_list"] == []
    assert ir["args"]["t"] == "arguments"
    assert [a["arg"] for a in ir["args"]["args"]] == ["p"]
    assert [s["t"] for s in ir["body"]] == ["Assign", "While", "Return"]
    wh = ir["body"][1]
    assert wh["line"] == 3 and wh["col"] == 4
    assert wh["test"]["t"] == "Compare" and wh["test"]["ops"] == ["LtE"]
    assert wh["test"]["left"] == {"t": "BinOp", "line": 3, "col": 10,
                                  "left": {"t": "Name", "line": 3, "col": 10, "id": "x"},
                                  "op": "Mult",
                                  "right": {"t": "Name", "line": 3, "col": 12, "id": "x"}}
    iff = wh["body"][0]
    assert iff["t"] == "If" and iff["line"] == 4
    assert iff["body"][0] == {"t": "Return", "line": 5, "col": 12,
                              "value": {"t": "Constant", "line": 5, "col": 19, "value": 0}}
    assert wh["orelse"] == []
    assert "ctx" not in str(ir)
    assert set(types_in(ir)) <= {"FunctionDef", "arguments", "arg", "Assign", "Name",
                                  "Constant", "While", "Compare", "BinOp", "If", "Return"}


def test_annotations_dropped_and_decorators_cleared():
    ir = convert_def('''\
        @staticmethod
        def f(a: int, *args, k: str = "x", **kw) -> int:
            y: int = a
            return y
        ''')
    assert "returns" not in ir and ir["decorator_list"] == []
    assert ir["line"] == 2
    args = ir["args"]
    assert args["vararg"]["arg"] == "args" and args["kwarg"]["arg"] == "kw"
    assert "annotation" not in args["args"][0]
    assert args["kw_defaults"][0]["value"] == "x"
    ann = ir["body"][0]
    assert ann["t"] == "AnnAssign" and "annotation" not in ann and ann["simple"] == 1


def test_constants_encoded():
    body = convert_block("a = (2**70, 1.5, None, True, 'é', 10**30)\n")
    vals = [e for e in body[0]["value"]["elts"]]
    assert vals[0]["t"] == "BinOp"
    assert [v["value"] for v in vals[1:5]] == [1.5, None, True, "é"]
    big = convert_block("a = 1000000000000000000000000000000\n")[0]["value"]["value"]
    assert big == {"int": format(10 ** 30, "x")}
    inf = convert_block("a = 1e400\n")[0]["value"]["value"]
    assert inf == {"float": "inf"}


def test_operators_and_comprehensions():
    body = convert_block('''\
        r = [-x for x in range(3) if not x in s and x is not None]
        d = {k: v for k, v in z}
        f = f"{a!r:>{w}}"
        ''')
    comp = body[0]["value"]
    assert comp["t"] == "ListComp"
    gen = comp["generators"][0]
    assert gen["t"] == "comprehension" and gen["is_async"] == 0
    assert comp["elt"]["op"] == "USub"
    test = gen["ifs"][0]
    assert test["op"] == "And" and test["values"][0]["operand"]["ops"] == ["In"]
    assert test["values"][1]["ops"] == ["IsNot"]
    assert body[1]["value"]["t"] == "DictComp"
    fv = body[2]["value"]["values"][0]
    assert fv["t"] == "FormattedValue" and fv["conversion"] == ord("r")
    assert fv["format_spec"]["t"] == "JoinedStr"


def test_try_import_lambda_shapes():
    body = convert_block('''\
        import math as m
        from functools import reduce
        try:
            g = lambda a, b=1: a + b
        except (ValueError, KeyError) as e:
            pass
        finally:
            pass
        ''')
    assert body[0]["names"][0]["name"] == "math" and body[0]["names"][0]["asname"] == "m"
    assert body[1]["t"] == "ImportFrom" and body[1]["module"] == "functools"
    assert body[1]["level"] == 0
    tr = body[2]
    assert tr["t"] == "Try" and tr["handlers"][0]["t"] == "ExceptHandler"
    assert tr["handlers"][0]["name"] == "e" and tr["handlers"][0]["line"] == 5
    lam = tr["body"][0]["value"]
    assert lam["t"] == "Lambda" and lam["args"]["defaults"][0]["value"] == 1


FORBIDDEN = [
    ("x = 1\ndel x\n", 2, "'del'"),
    ("x = 1\nx += 1\n", 2, "augmented assignment (x += ...)"),
    ("x = 1\n\nx -= 2\n", 3, "augmented assignment (x -= ...)"),
    ("def f():\n    global q\n", 2, "'global'"),
    ("def f():\n    x = 1\n    def g():\n        nonlocal x\n", 4, "'nonlocal'"),
    ("with a:\n    pass\n", 1, "'with'"),
    ("async def f():\n    pass\n", 1, "'async def'"),
    ("def f():\n    print(1)\n", 2, "print()"),
    ("y = eval('1')\n", 1, "eval()"),
    ("exec('1')\n", 1, "exec()"),
    ("z = locals()\n", 1, "locals()"),
    ("z = globals()\n", 1, "globals()"),
    ("a = [1]\na[0] = 2\n", 2, "subscript assignment"),
    ("o.x = 1\n", 1, "attribute assignment"),
    ("a, o.x = 1, 2\n", 1, "attribute assignment"),
    ("for a[0] in y:\n    pass\n", 1, "subscript assignment"),
    ("b = b'x'\n", 1, "bytes"),
    ("c = 1j\n", 1, "complex"),
    ("e = ...\n", 1, "Ellipsis"),
    pytest.param("match x:\n    case 1:\n        pass\n", 1, "match statements are not supported",
                 marks=pytest.mark.skipif(sys.version_info < (3, 10), reason="3.10 syntax")),
    ("class C:\n    def m(self):\n        self.x = 1\n", 3, "attribute assignment"),
    ("class C:\n    def __init__(self):\n        def g():\n            self.x = 1\n",
     4, "attribute assignment"),
    ("class C:\n    def __init__(self, o):\n        o.x = 1\n", 3, "attribute assignment"),
]


@pytest.mark.parametrize("src,line,phrase", FORBIDDEN)
def test_forbidden_constructs(src, line, phrase):
    with pytest.raises(PythonToForaConversionError) as e:
        convert_block(src, file="/home/u/x.py")
    msg = str(e.value)
    assert phrase in msg
    assert 'File "/home/u/x.py", line %d' % line in msg
    assert src.splitlines()[line - 1].strip() in msg
    assert e.value.line == line and e.value.file == "/home/u/x.py"


def test_forbidden_in_function_definition_names_line():
    with pytest.raises(PythonToForaConversionError) as e:
        convert_def("def f(x):\n    y = 0\n    y += x\n    return y\n", file="/home/u/x.py")
    assert str(e.value) == ('augmented assignment (x += ...) is not allowed in pyfora code\n'
                            '  File "/home/u/x.py", line 3\n    y += x')


def test_self_assignment_in_init_allowed():
    ir = convert_block('''\
        class C:
            def __init__(me, a):
                me.a = a
                me.b, me.c = a, a
        ''')
    init = ir[0]["body"][0]
    assert init["body"][0]["targets"][0] == {
        "t": "Attribute", "line": 3, "col": 8,
        "value": {"t": "Name", "line": 3, "col": 8, "id": "me"}, "attr": "a"}


def test_shadowed_print_allowed():
    convert_block("def print(x):\n    return x\ny = print(1)\n")
    convert_block("def f(print):\n    return print(1)\n")
    convert_block("y = print(1)\n", shadowed=lambda n: n == "print")
    with pytest.raises(PythonToForaConversionError):
        convert_block("y = print(1)\n")


def test_return_and_yield_in_block_are_bad():
    with pytest.raises(BadWithBlockError) as e:
        convert_block("x = 1\nreturn x\n")
    assert "line 2" in str(e.value)
    with pytest.raises(BadWithBlockError):
        convert_block("yield 1\n")
    convert_block("def g():\n    yield 1\n    return 2\n")  # nested: fine


def test_block_outputs():
    src = textwrap.dedent('''\
        a = 1
        b, (c, *d) = 1, (2, 3)
        for i in range(3):
            if i:
                e = i
        def f(q):
            inner = q
        class K:
            attr = 1
        import math, os.path as p
        from functools import reduce as r
        g: int = 1
        h: int
        y = [z := w for w in ()]
        a = 2
        ''')
    assert block_outputs(ast.parse(src).body) == [
        "a", "b", "c", "d", "i", "e", "f", "K", "math", "p", "r", "g", "z", "y"]
