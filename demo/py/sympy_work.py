"""A real workload for the pool: sympy (factoring, simplification, integration) and mpmath, both
pure-Python wheels from PyPI served beside the pywebworker wheel (scripts/setup.sh downloads them,
scripts/build-wheel.sh serves them under /target/wheels/). ``compare()`` runs the same work with
``pool.map`` in a ``WorkerPool(packages=[the two wheels])`` and on the page's own Pyodide, and
returns both results and times. Used by the demo page (demo/index.html) and its browser tests."""

import asyncio
import contextlib
import time

import js

from pywebworker.pool import WorkerPool

# Loaded in each worker by packages= (Pyodide's loadPackage, which reads no dependencies: name
# every wheel): sympy and the mpmath its metadata asks for (mpmath < 1.4).
WHEELS = ["sympy-1.14.0-py3-none-any.whl", "mpmath-1.3.0-py3-none-any.whl"]

# (what to do, the expression): each is one task of pool.map.
ITEMS = [
    ("factor", "x**4 + 4"),
    ("factor", "x**12 - 1"),
    ("factor", "x**20 - y**20"),
    ("factor", "x**30 - 1"),
    ("factor", "expand((x + y + 1)**5 * (x - 2*y)**3)"),
    ("factor", "6*x**4 - x**3 - 32*x**2 + 5*x + 10"),
    ("simplify", "sin(x)**2 + cos(x)**2"),
    ("simplify", "(x**3 + x**2 - x - 1)/(x**2 + 2*x + 1)"),
    ("simplify", "gamma(x + 1)/gamma(x)"),
    ("simplify", "cos(x)**4 - sin(x)**4"),
    ("simplify", "(exp(2*x) - 1)/(exp(x) + 1)"),
    ("simplify", "sin(x + y) - sin(x)*cos(y) - cos(x)*sin(y) + tan(x)*cos(x)"),
    ("integrate", "exp(x)*sin(x)"),
    ("integrate", "x**2*log(x)"),
    ("integrate", "1/(x**3 + 1)"),
    ("mpmath", "zeta(3)"),
    ("mpmath", "quad(sin, [0, pi])"),
    ("mpmath", "findroot(lambda t: cos(t) - t, 1)"),
    ("mpmath", "nsum(lambda k: 1/k**2, [1, inf])"),
    ("mpmath", "sqrt(2)**sqrt(2)"),
]


def sympy_task(item):
    """One item of ITEMS, done with sympy or mpmath; the result as a string."""
    kind, text = item
    if kind == "mpmath":
        import mpmath

        mpmath.mp.dps = 30
        return mpmath.nstr(eval(text, dict(vars(mpmath))), 25)
    import sympy

    expr = sympy.sympify(text)
    if kind == "factor":
        return str(sympy.factor(expr))
    if kind == "simplify":
        return str(sympy.simplify(expr))
    if kind == "integrate":
        return str(sympy.integrate(expr, sympy.Symbol("x")))
    raise ValueError(f"unknown kind of item: {kind!r}")


def wheel_urls() -> list[str]:
    """The two wheels' URLs on this site."""
    return [str(js.URL.new(f"/target/wheels/{wheel}", js.location.href).href) for wheel in WHEELS]


async def compare(size: int = 2, items: list = ITEMS) -> dict:
    """``items`` done by ``pool.map`` in a pool of ``size`` workers, then on the page. Returns
    ``{"items": items, "pool": [...], "page": [...], "seconds": {...}, "stats": {...}, "size": size}``.
    The one-time costs are timed apart from the work: the pool's start (Pyodide, the wheels),
    importing sympy (in each worker, on the page), then the work itself, warm on both sides."""
    seconds = {}
    t0 = time.perf_counter()
    async with WorkerPool(size, packages=wheel_urls()) as pool:
        seconds["pool_start"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with contextlib.AsyncExitStack() as stack:  # every worker imports sympy once
            leases = [await stack.enter_async_context(pool.acquire()) for _ in range(size)]
            await asyncio.wait_for(asyncio.gather(*(lease.run("import sympy, mpmath") for lease in leases)), 120)
        seconds["pool_import"] = time.perf_counter() - t0
        done_before = pool.stats().done
        t0 = time.perf_counter()
        pool_results = await pool.map(sympy_task, items, timeout=300)
        seconds["pool_map"] = time.perf_counter() - t0
        stats = pool.stats().as_dict()
        stats["done_by_map"] = stats["done"] - done_before
    import pyodide_js  # the same wheels on the page, loaded as the workers load them
    from pyodide.ffi import to_js

    t0 = time.perf_counter()
    await asyncio.wait_for(pyodide_js.loadPackage(to_js(wheel_urls())), 120)
    import sympy  # noqa: F401

    seconds["page_import"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    page_results = [sympy_task(item) for item in items]
    seconds["page"] = time.perf_counter() - t0
    return {"items": items, "pool": pool_results, "page": page_results, "seconds": seconds, "stats": stats, "size": size}
