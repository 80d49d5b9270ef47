"""Telethon 1.45 adapters: the TelegramLogin port (login.py) and session clients (session.py).

Every Telethon error is translated through the one table in errors.py.
"""

from signal_copier.telegram.telethon.login import TelethonLogin
from signal_copier.telegram.telethon.session import TelethonSession, TelethonSessions

__all__ = ["TelethonLogin", "TelethonSession", "TelethonSessions"]
