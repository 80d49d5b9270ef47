"""An order above the trade it points at: "SL to BE 👇⏎GOLD SELL 2650⏎SL 2660⏎TP 2630".

Read whole, such a post is the signal again (a second trade); the order on its first line,
pointing down at the signal, is what the channel asks. The order is read as if written under
the signal (see `restated`); when that reading does not give it, nothing is done.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from signal_copier.core.model import Parse, Scope
from signal_copier.core.parsing import restated
from signal_copier.core.parsing.openings import AMBIGUOUS

Reader = Callable[[str], Parse]

# A first line that ends pointing down: "👇", "⬇️", "↓", "🔽", "⤵️".
_DOWN = re.compile("[\U0001f447\u2b07\u2193\U0001f53d\u2935][\ufe0f\U0001f3fb-\U0001f3ff]*[ \t]*$")
_POINTED = "an order pointing at the signal under it, not read as its order: nothing is done"


def restate(text: str, first: Parse, read: Reader) -> Parse:
    """Return the order a first line points down at the signal under it, or `first`."""
    if not (first.signals or first.command is not None):
        return first
    head, cut, rest = text.strip().partition("\n")
    if not cut or _DOWN.search(head) is None:
        return first
    order = _DOWN.sub("", head).strip()
    if read(order).command is None or not read(rest).signals:
        return first  # "🔥 GOLD SIGNAL 👇": a header; "Close half 👇⏎SL to BE": no signal under
    moved = f"{rest}\n{order}"
    found = restated.restate(moved, read(moved), read)
    if found.signals or (found.command is not None and found.command.scope is Scope.REPLY):
        return Parse(reason=AMBIGUOUS, explain=(*first.explain, _POINTED))
    return found
