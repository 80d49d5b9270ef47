"""Read a target list: indexes, pip distances, ladders, and a zone marked as the first target."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.parsing.fields import JOINERS, MAX_TPS, Block
from signal_copier.core.parsing.numbers import complete, price_like, read_numbers
from signal_copier.core.parsing.tokens import Item

_TP_UNITS = ("", "pips", "signed")  # units of the numbers a target list is read from


def _is_index(numbers: list[Item]) -> bool:
    head = numbers[0]
    return head.raw.isdigit() and 0 < head.value <= 10 and not head.unit


def _ranged(items: list[Item], numbers: list[Item]) -> bool:
    # "Targets 8 - 8.5": a joiner after the first number makes it a level of the list, not the
    # target's number ("Target 3: 3.5" has none).
    at = items.index(numbers[0]) + 1
    return at < len(items) and items[at].kind in JOINERS


def _dashed_index(block: Block, numbers: list[Item], label: str) -> bool:
    # "Target 1 - 0.961", "TP 2 - 4360": one label (not "Targets"), the next target's number, a
    # dash and one price. A list ("Targets 8 - 8.5", "Targets 1 - 1.05 - 1.2") keeps its levels.
    following = len(block.tps) + len(block.tp_pips) + 1
    if len(numbers) != 2 or label.lower().endswith("s") or numbers[0].value != following:
        return False
    price = numbers[1]
    return "." in price.raw or not price_like(price.value, numbers[0].value)


def _zone_mark(block: Block, items: list[Item], numbers: list[Item], label: str) -> bool:
    # A mark ("🎯"), not the word "TP", over just two joined prices, before any other target.
    if len(numbers) != 2 or block.tps:
        return False
    return not label[:1].isalpha() and _ranged(items, numbers)


def _all_pips(items: list[Item], first: Item) -> bool:
    # "20-50-100 pips": every number of a joined run (from `first` on) shares the last one's unit.
    end = len(items) - 1
    while end >= 0 and items[end].kind != "num":
        end -= 1
    if end < 0 or items[end].unit != "pips":
        return False  # the common case, found before any walking
    joined = True  # one pass, so a long run costs no more than its length
    for at in range(items.index(first), end + 1):
        item = items[at]
        if item.kind == "num":
            if not joined or "." in item.raw:
                return False
            joined = False
        elif item.kind in JOINERS:
            joined = True
        else:
            return False
    return True


def read_tps(block: Block, items: list[Item], label: str, index: str) -> None:
    """Append the take-profit levels (or pip distances) written after one TP label."""
    room = MAX_TPS - len(block.tps) - len(block.tp_pips)
    if room <= 0:
        return
    numbers = []  # a loop, not a comprehension: cheaper for the few items of one field
    for item in items:
        if item.kind == "num" and item.unit in _TP_UNITS:
            numbers.append(item)
    del numbers[room + 1 :]  # an index and `room` targets at most
    label = f"{label}{index}" if index else label
    if not index:
        index, numbers, items = _numbered(block, items, numbers, label)
        label = f"{label}{index}" if index else label
    if not numbers or numbers[0].unit == "signed":
        numbers = [n for n in numbers if n.unit != "signed"]
        if not numbers:
            return
    first = numbers[0]
    name = f"tp{index}" if index else f"tp{len(block.tps) + 1}"
    if first.unit == "pips" or _all_pips(items, first):
        pips = [n.value for n in numbers if n.unit in ("", "pips")]
        block.tp_pips.extend((pips if first.unit == "" else [first.value])[:room])
        block.explain.append(f'"{label} {first.raw} pips" → tp_pips={block.tp_pips}')
        return
    listed = len(numbers) > 1  # most labels carry one target: no list to look at
    if listed:
        block.tp_pair |= _zone_mark(block, items, numbers, label)
    block.tps.append(first.value)
    block.explain.append(f'"{label} {first.raw}" → {name}={first.value!s}')
    if listed:
        _more_tps(block, items, numbers)


def _numbered(
    block: Block, items: list[Item], numbers: list[Item], label: str
) -> tuple[str, list[Item], list[Item]]:
    # The target's number written apart ("Target 3: 3.5", "Target 1 - 0.961") or glued to its
    # price ("TP41.3100"): the index, and the numbers (and items) left to read as levels.
    if (
        len(numbers) > 1
        and _is_index(numbers)
        and (not _ranged(items, numbers) or _dashed_index(block, numbers, label))
    ):
        return numbers[0].raw, numbers[1:], items[items.index(numbers[1]) :]
    if numbers and not numbers[0].unit:
        first = _unglued(block, numbers[0])
        if first is not numbers[0]:
            return str(len(block.tps) + 1), [first], [first]  # its own number: one target
    return "", numbers, items


def _unglued(block: Block, first: Item) -> Item:
    # "TP41.3100" after targets 1.2350 … 1.2800: the label's number glued to its price, or set
    # off by a period ("TP 3.4408" after 4416, 4412). Only when the whole is no level of the list
    # and what follows the next number goes on with it.
    tps, number = block.tps, str(len(block.tps) + 1)
    if len(tps) < 2 or not first.raw.startswith(number) or price_like(first.value, tps[-1]):
        return first
    rest = first.raw[len(number) :]
    if rest[:1] == "." and rest[1:].isdigit():
        rest = rest[1:]
    values = read_numbers(rest) if rest[:1].isdigit() else None
    if values is None or len(values) != 1:
        return first
    value = values[0]
    if not price_like(value, tps[-1]) or (value - tps[-1]) * (tps[-1] - tps[-2]) <= 0:
        return first
    return Item("num", rest, value, rest)


def _more_tps(block: Block, items: list[Item], numbers: list[Item]) -> None:
    # The prices after a label's first target that read as its further targets.
    first = numbers[0]
    last = _position(items, first, 0)
    for number in numbers[1:]:
        if len(block.tps) >= MAX_TPS:
            return
        at = _position(items, number, last)
        if number.unit:
            continue
        between = items[last + 1 : at]
        value: Decimal | None = number.value
        if not price_like(number.value, first.value) and not _ladder(block.tps, between, number):
            value = _shorthand(block.tps, between, first, number)
        if value is None:
            continue
        block.tps.append(value)
        block.explain.append(f'"{number.raw}" → tp{len(block.tps)}={value!s}')
        last = at


def _shorthand(
    tps: list[Decimal], between: list[Item], first: Item, number: Item
) -> Decimal | None:
    # "TP 4471-75-80": a dashed run that writes only each target's last digits. The digits take
    # the first target's place, and the target reached that way keeps stepping the same way.
    if len(number.raw) != 2 or not between or any(item.text != "-" for item in between):
        return None  # two digits after a dash: one digit ("- 1") may be a count, a list a typo
    value = complete(first.raw, number.raw)
    if value is None or not price_like(value, first.value) or value == tps[-1]:
        return None
    if len(tps) >= 2 and (value - tps[-1]) * (tps[-1] - tps[-2]) <= 0:
        return None
    return value


def _position(items: list[Item], item: Item, start: int) -> int:
    at = start
    while items[at] is not item:
        at += 1
    return at


def _ladder(tps: list[Decimal], between: list[Item], number: Item) -> bool:
    # "TARGET 395 - 450 - 530", "28.06$ - 29$ - 34$ - 50$ - 65$": a joined run of targets that
    # keeps stepping the same way may reach well past the first (within a factor of three).
    if len(tps) < 2 or not between or any(item.kind not in JOINERS for item in between):
        return False
    step, value = tps[-1] - tps[-2], number.value
    return step * (value - tps[-1]) > 0 and tps[0] / 3 <= value <= tps[0] * 3
