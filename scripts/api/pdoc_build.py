"""Builds the Python API reference with pdoc from the package's docstrings and annotations.

Usage: python pdoc_build.py <python source folder> <output folder>. Exits non-zero on any warning.

The package runs in Pyodide and imports Pyodide's modules (``js``, ``pyodide.ffi``,
``pyodide.code``, ``pyodide_js``) and, inside a worker, the channel its worker runtime registers
(``_pywebworker_channel``), which CPython lacks; pdoc imports what it documents, so those
modules are stand-ins here (placeholder objects for every name), for the documentation only.
The public members that public classes take from the package's private modules (``JsWorker``'s
``send_message`` from ``_sending.Sending``, ``call``/``api``/``expose`` from ``_calls.Calls``) are
documented as the classes' own, since pdoc leaves out what comes from modules it does not document.
"""

import sys
import types
import warnings
from unittest import mock

PYODIDE_MODULES = ("js", "pyodide", "pyodide.ffi", "pyodide.code", "pyodide_js", "_pywebworker_channel")
DOCUMENTED = ("pywebworker", r"!pywebworker\._.*")  # the package and its public modules


def stand_in(name: str) -> types.ModuleType:
    module = types.ModuleType(name, f"stand-in for Pyodide's {name}, for the documentation build")
    module.__getattr__ = lambda attr: mock.MagicMock(name=f"{name}.{attr}")  # type: ignore[method-assign]
    # Names used in class bases and except clauses must be classes.
    if name == "pyodide.ffi":
        module.JsException = type("JsException", (Exception,), {"__module__": name})
        module.JsProxy = type("JsProxy", (), {"__module__": name})
    if name == "_pywebworker_channel":
        module.transport = "shared or post"  # shown as the value of pywebworker.inside.transport
        module.forward_stdout = module.forward_stderr = False
    return module


def adopt_private_members(package: str) -> None:
    """Makes each public class of the package's public modules hold, as its own, the public
    members it takes from classes of private modules (``pywebworker._*``)."""
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or cls.__module__ != module.__name__:
                continue
            for name in {n for base in cls.__mro__ for n in vars(base) if not n.startswith("_")}:
                owner = next(base for base in cls.__mro__ if name in vars(base))
                if owner.__module__.startswith(f"{package}._"):
                    setattr(cls, name, vars(owner)[name])


def main(source: str, output: str) -> int:
    for name in PYODIDE_MODULES:
        sys.modules[name] = stand_in(name)
    sys.path.insert(0, source)
    import pdoc
    import pdoc.render

    adopt_private_members("pywebworker")

    pdoc.render.configure(docformat="restructuredtext", search=True, show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*DOCUMENTED, output_directory=__import__("pathlib").Path(output))
    for w in caught:
        print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    return 1 if caught else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
