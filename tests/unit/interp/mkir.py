import ast, json, sys
def conv(n):
    if isinstance(n, list): return [conv(x) for x in n]
    if n is None: return None
    if isinstance(n, ast.AST):
        name = type(n).__name__
        if isinstance(n, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)): return name
        d = {"t": name}
        if hasattr(n, "lineno"): d["line"] = n.lineno; d["col"] = n.col_offset
        for f in n._fields:
            if f in ("ctx", "type_comment", "returns", "annotation", "kind", "type_ignores"): continue
            v = getattr(n, f)
            if name == "Constant" and f == "value":
                if isinstance(v, float):
                    d[f] = v if v == v and abs(v) != float('inf') else {"float": repr(v)}
                elif isinstance(v, int) and not isinstance(v, bool) and not (-2**63 <= v < 2**63):
                    d[f] = {"int": format(v, 'x')}
                else: d[f] = v
            else: d[f] = conv(v)
        return d
    return n
def block(src, outputs, globals_=None, defs=None):
    t = ast.parse(src)
    return {"ir_version": 1, "files": ["t.py"], "definitions": defs or {},
            "block": {"file": 0, "line": 1, "body": conv(t.body), "globals": globals_ or {}, "outputs": outputs}}
def funcdef(src):
    return conv(ast.parse(src).body[0])
if __name__ == "__main__":
    src = open(sys.argv[1]).read()
    outs = sys.argv[2].split(",")
    print(json.dumps(block(src, outs), separators=(",", ":")))
