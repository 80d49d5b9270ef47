"""`signal-copier fleet simulate`: the real listener code on SQLite, with a simulated clock."""
