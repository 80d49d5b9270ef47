"""A FleetScaler for local mode and tests: an instance count kept in memory, with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signal_copier.core.errors import InvalidInput

if TYPE_CHECKING:
    from signal_copier.core.ports import FleetScaler


class LocalScaler:
    """Remembers the instance count it was told (local mode runs one listener in-process)."""

    def __init__(self, instances: int = 1) -> None:
        self.count = instances
        self.history: list[int] = []

    async def instances(self) -> int:
        """Return the current instance count."""
        return self.count

    async def set_instances(self, count: int) -> None:
        """Set the instance count (at least 0)."""
        if count < 0:
            raise InvalidInput(f"instance count must be at least 0, got {count}")
        self.count = count
        self.history.append(count)


if TYPE_CHECKING:
    _conforms: FleetScaler = LocalScaler()
