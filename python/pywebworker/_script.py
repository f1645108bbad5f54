"""What a ``PyWorker`` checks of its script on the page, before any worker starts.

In pywebworker 0.0.6 ``PyWorker(script)`` ran JavaScript; since 0.1.0 it runs Python and
``JsWorker`` runs JavaScript. A JavaScript script given to a ``PyWorker`` (the 0.0.6 Quick
Reference as written) is refused at once with ``ScriptLanguageError``, which names ``JsWorker``,
instead of failing seconds later in the worker with Python's ``SyntaxError: invalid syntax``.

Python's own compiler decides what is Python: a script that compiles is never refused, whatever
words it contains (a string that holds JavaScript, a variable named ``function``). A script that
does not compile is refused only when the line the compiler stops at shows a sign of JavaScript
that is never Python (``=>``, ``const x``, ``function f(``...) and the script at least two
different signs; any other syntax error is left to the worker, whose ``WorkerScriptError``
carries Python's ``SyntaxError`` and its line. Scripts given by ``url=`` are fetched by the
worker and not checked here.
"""

from __future__ import annotations

import ast
import re

from ._errors import ScriptLanguageError

# Signs of JavaScript, each looked for in one line. A strong sign is never Python outside a string
# or a comment; a weak one can be (a call of postMessage, a line that ends in ";", a dict's brace).
_STRONG: dict[str, re.Pattern[str]] = {
    "declaration": re.compile(r"^\s*(?:export\s+)?(?:const|let|var)\s+[\w$\[{]"),
    "function": re.compile(r"\bfunction\b\s*\*?\s*(?:[\w$]+\s*\(|\([^)]*\)\s*\{)"),
    "arrow": re.compile(r"(?:\)|[\w$])\s*=>"),
    "block": re.compile(r"^\s*(?:\}\s*)?(?:if|for|while|switch|try|else|catch|finally|do|class)\b[^:]*\{\s*$"),
    "module": re.compile(r"^\s*(?:import\s[^#]*\bfrom\s*['\"]|import\s*['\"]|export\s)"),
    "comment": re.compile(r"^\s*(?://|/\*)"),
    "strict equality": re.compile(r"[!=]=="),
    "template": re.compile(r"`"),
}
_WEAK: dict[str, re.Pattern[str]] = {
    "handler": re.compile(r"\b(?:self\.)?onmessage\s*=(?!=)|\b(?:addEventListener|postMessage|importScripts)\s*\("),
    "console": re.compile(r"\bconsole\.\w+\s*\("),
    "brace": re.compile(r"^\s*\}|\{\s*$"),
    "semicolon": re.compile(r";\s*$"),
}


def _signs(line: str, patterns: dict[str, re.Pattern[str]]) -> set[str]:
    """The kinds of JavaScript signs of ``patterns`` in one line."""
    return {name for name, pattern in patterns.items() if pattern.search(line)}


def looks_like_javascript(script: str, error: SyntaxError) -> bool:
    """Whether ``script``, which Python's compiler refused with ``error``, is JavaScript: the
    lines the compiler stopped at show a strong sign of it, and the script two different signs."""
    lines = script.splitlines()
    first = error.lineno or 0
    last = max(first, error.end_lineno or first)
    found: set[str] = set()
    for n in range(first, last + 1):
        if 0 < n <= len(lines):
            found |= _signs(lines[n - 1], _STRONG)
    if not found:
        return False
    for line in lines:
        found |= _signs(line, _STRONG) | _signs(line, _WEAK)
        if len(found) >= 2:
            return True
    return False


def check_python(script: str) -> None:
    """Raises ``ScriptLanguageError`` when ``script`` is JavaScript rather than Python; does
    nothing for Python, valid or not (the worker reports its syntax errors)."""
    try:
        # As the worker runs it: top-level await allowed, no __future__ of this module inherited.
        compile(script, "<worker>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as e:
        if looks_like_javascript(script, e):
            where = f"line {e.lineno}: " if e.lineno else ""
            raise ScriptLanguageError(
                f"PyWorker runs Python since pywebworker 0.1.0, and this script is JavaScript (as Python, "
                f"{where}{e.msg}). Use JsWorker for a JavaScript script: `from pywebworker.worker import "
                "JsWorker`, then `JsWorker(script)`, with the methods PyWorker had in 0.0.6") from None
    except ValueError:
        pass  # a script Python cannot even read (a NUL character): the worker says so
