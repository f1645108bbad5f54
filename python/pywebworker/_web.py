"""The web files the wheel carries: the JavaScript shim and the wasm module (``_web/``)."""

from importlib import resources


def names() -> list[str]:
    """Every carried file, as a path relative to ``_web/`` (for example ``pkg/pywebworker_bg.wasm``)."""
    root = resources.files(__package__) / "_web"
    out: list[str] = []

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                out.append(prefix + child.name)

    walk(root, "")
    return sorted(out)


def read(name: str) -> bytes:
    """The bytes of one carried file; ``FileNotFoundError`` names the file when it is missing."""
    node = resources.files(__package__) / "_web"
    for part in name.split("/"):
        node = node / part
    if not node.is_file():
        raise FileNotFoundError(f"pywebworker's wheel carries no web file {name!r}; carried: {names()}")
    return node.read_bytes()


def package_source(name: str) -> str:
    """The source of one of the package's own modules (handed to a PyWorker's Pyodide)."""
    return (resources.files(__package__) / name).read_text()
