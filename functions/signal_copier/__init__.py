"""Signal Copier: Telegram trading signals → MetaTrader 5 accounts."""
