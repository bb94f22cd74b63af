"""Lists, dicts and sets are persistent values: building them in loops with a = a + [x],
slicing and concatenating, dicts and sets built from iterators (correctness only here; the
timing is the benchmark's business)."""

N = 20000


def prog_append_loop_large():
    a = []
    for x in range(N):
        a = a + [x * 3 % 7]
    return len(a), sum(a), a[:5], a[-5:], a[N // 2]


def prog_old_versions_unchanged():
    versions = []
    a = []
    for x in range(6):
        a = a + [x]
        versions = versions + [a]
    b = versions[2] + ["branch"]
    return versions, b, versions[2]


def prog_prepend_and_concat_loop():
    a = []
    for x in range(2000):
        a = [x] + a if x % 2 else a + [x]
    return len(a), a[:6], a[-6:], a[1000]


def prog_slices_of_large_list_share_nothing_visible():
    big = list(range(N))
    left = big[: N // 2]
    right = big[N // 2:]
    rebuilt = right + left
    return len(rebuilt), rebuilt[0], rebuilt[-1], rebuilt[N // 2 - 1: N // 2 + 2], big[:3], \
        sum(left) + sum(right) == sum(big)


def prog_repeated_slicing_windows():
    xs = list(range(1000))
    total = 0
    for i in range(0, 1000, 50):
        window = xs[i:i + 50]
        total = total + window[-1] - window[0]
    return total, xs[::-100][:3], len(xs[::7])


def prog_list_of_lists_persistent_rows():
    grid = [[0] * 5 for _ in range(4)]
    new_grid = []
    for r, row in enumerate(grid):
        new_row = row[:r] + [r + 1] + row[r + 1:]
        new_grid = new_grid + [new_row]
    return grid, new_grid


def prog_dict_built_incrementally():
    d = {}
    for i in range(3000):
        d = {**d, i % 97: d.get(i % 97, 0) + i}
    return len(d), d[0], d[96], list(d)[:5], sum(d.values())


def prog_dict_versions_independent():
    base = dict((x, x * x) for x in range(5))
    a = {**base, 2: "two"}
    b = {k: v for k, v in base.items() if k != 3}
    return base, a, b, base == dict((x, x * x) for x in range(5))


def prog_set_built_from_iterators():
    s = set(x * x % 1009 for x in range(5000))
    t = frozenset(range(0, 1009, 7))
    return len(s), len(s & t), min(s), max(s), sorted(s)[:8], len(s | t)


def prog_set_incremental_union():
    seen = set()
    dups = []
    for x in [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]:
        if x in seen:
            dups = dups + [x]
        seen = seen | {x}
    return sorted(seen), dups


def prog_sieve_with_list_rebuilds():
    n = 3000
    flags = [True] * n
    flags = [False, False] + flags[2:]
    p = 2
    while p * p < n:
        if flags[p]:
            flags = flags[: p * p] + [(False if (i - p * p) % p == 0 else f)
                                      for i, f in enumerate(flags[p * p:], p * p)]
        p = p + 1
    primes = [i for i, f in enumerate(flags) if f]
    return len(primes), primes[-5:]


def prog_tuple_accumulation():
    t = ()
    for i in range(3000):
        t = t + (i % 13,)
    return len(t), t[-13:], t.count(0), sum(t)


def prog_string_accumulation():
    s = ""
    for i in range(3000):
        s = s + "abc"[i % 3]
    return len(s), s[:9], s[-4:], s.count("ab")


def prog_merge_sorted_lists_functionally():
    def merge(a, b):
        out = []
        i = j = 0
        while i < len(a) and j < len(b):
            if a[i] <= b[j]:
                out = out + [a[i]]
                i = i + 1
            else:
                out = out + [b[j]]
                j = j + 1
        return out + a[i:] + b[j:]

    def msort(xs):
        if len(xs) <= 1:
            return xs
        mid = len(xs) // 2
        return merge(msort(xs[:mid]), msort(xs[mid:]))
    data = [(i * 7919) % 1009 for i in range(1500)]
    return msort(data) == sorted(data), msort(data)[:10], msort([])


def prog_stack_and_queue_as_values():
    stack = ()
    out = []
    for tok in "3 4 + 2 * 7 -".split():
        if tok.isdigit():
            stack = stack + (int(tok),)
        else:
            a, b = stack[-2], stack[-1]
            stack = stack[:-2] + ({"+": a + b, "-": a - b, "*": a * b}[tok],)
        out = out + [stack]
    return out


def prog_large_concatenation_tree():
    parts = [list(range(i, i + 100)) for i in range(0, 10000, 100)]
    while len(parts) > 1:
        parts = [parts[i] + parts[i + 1] if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    whole = parts[0]
    return len(whole), whole == list(range(10000)), whole[4321]


def prog_list_repeat_and_slice_big():
    a = [1, 2, 3] * 5000
    b = a[::3]
    c = a[1::3] + a[2::3]
    return len(a), len(b), set(b), len(c), c[4999:5001], a[-1]


def prog_nested_structure_update():
    state = {"users": [], "count": 0}
    for name in ["ann", "bob", "cy"]:
        state = {**state, "users": state["users"] + [{"name": name, "id": state["count"]}],
                 "count": state["count"] + 1}
    return state


def prog_dict_of_lists_grouping():
    groups = {}
    for w in "one two three four five six seven eight nine ten".split():
        k = len(w)
        groups = {**groups, k: groups.get(k, []) + [w]}
    return groups, sorted(groups.items())


def prog_reversed_building_and_equality():
    a = []
    b = []
    for i in range(1000):
        a = a + [i]
        b = [999 - i] + b
    return a == b, a[::-1] == list(reversed(b)), a is not b


def prog_game_of_life_generations():
    def step(live):
        counts = {}
        for (x, y) in live:
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    if dx or dy:
                        k = (x + dx, y + dy)
                        counts = {**counts, k: counts.get(k, 0) + 1}
        return frozenset(c for c, n in counts.items() if n == 3 or (n == 2 and c in live))
    glider = frozenset([(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)])
    g = glider
    history = [g]
    for _ in range(8):
        g = step(g)
        history = history + [g]
    return sorted(g), len(history), history[0] == glider, sorted(history[4]) == sorted(
        (x + 1, y + 1) for x, y in glider)


ARGS = {}
XFAIL = {}
